-- CreateTable
CREATE TABLE "VerificationRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "taskId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "settings" TEXT NOT NULL DEFAULT '{}',
    "summary" TEXT NOT NULL DEFAULT '{}',
    "keysChecked" BIGINT NOT NULL DEFAULT 0,
    "conflicts" BIGINT NOT NULL DEFAULT 0,
    "errorMessage" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    CONSTRAINT "VerificationRun_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "VerificationRound" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "scope" TEXT NOT NULL,
    "keysChecked" BIGINT NOT NULL,
    "conflicts" BIGINT NOT NULL,
    "counts" TEXT NOT NULL,
    "dbs" TEXT NOT NULL,
    "recheckOverflow" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    CONSTRAINT "VerificationRound_runId_fkey" FOREIGN KEY ("runId") REFERENCES "VerificationRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "VerificationRun_taskId_startedAt_idx" ON "VerificationRun"("taskId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "VerificationRound_runId_round_key" ON "VerificationRound"("runId", "round");
