-- CreateTable
CREATE TABLE "TaskMetric" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "stage" TEXT NOT NULL,
    "fullPercent" REAL NOT NULL,
    "keysDone" BIGINT NOT NULL,
    "keysTotal" BIGINT NOT NULL,
    "rdbBytesDone" BIGINT NOT NULL,
    "rps" REAL NOT NULL,
    "bytesPerSecond" REAL NOT NULL,
    "delayMs" INTEGER,
    "receivedOffset" BIGINT NOT NULL,
    "checkpointOffset" BIGINT,
    "replid" TEXT,
    CONSTRAINT "TaskMetric_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "TaskMetric_taskId_at_idx" ON "TaskMetric"("taskId", "at");
