-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "region" TEXT NOT NULL,
    "databaseType" TEXT NOT NULL DEFAULT 'Redis',
    "mode" TEXT NOT NULL DEFAULT 'standalone',
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 6379,
    "username" TEXT,
    "passwordEnc" TEXT,
    "tls" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "tlsCa" TEXT,

    CONSTRAINT "Instance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Task" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'NotStarted',
    "syncTypes" TEXT NOT NULL DEFAULT 'full+incremental',
    "conflictMode" TEXT NOT NULL DEFAULT 'block',
    "instanceClass" TEXT NOT NULL DEFAULT 'large',
    "resourceGroup" TEXT NOT NULL DEFAULT 'default',
    "source" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "objects" TEXT NOT NULL DEFAULT '{}',
    "advanced" TEXT NOT NULL DEFAULT '{}',
    "verification" TEXT NOT NULL DEFAULT '{}',
    "fullProgress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "keysDone" BIGINT NOT NULL DEFAULT 0,
    "keysTotal" BIGINT NOT NULL DEFAULT 0,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "delayMs" INTEGER,
    "errorMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "releasedAt" TIMESTAMP(3),
    "billingMethod" TEXT NOT NULL DEFAULT 'PayAsYouGo',
    "precheck" TEXT NOT NULL DEFAULT '{}',
    "purchasedAt" TIMESTAMP(3),
    "incrementalStartedAt" TIMESTAMP(3),
    "evictedKeys" BIGINT NOT NULL DEFAULT 0,
    "fullCompletedAt" TIMESTAMP(3),
    "fullRerunAt" TIMESTAMP(3),
    "fullRerunReason" TEXT,
    "resumedAt" TIMESTAMP(3),

    CONSTRAINT "Task_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskShard" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "stage" TEXT NOT NULL DEFAULT 'pending',
    "replid" TEXT,
    "offset" BIGINT,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "db" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "TaskShard_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskLog" (
    "id" SERIAL NOT NULL,
    "taskId" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'viewer',
    "passwordHash" TEXT NOT NULL,
    "mustChangePassword" BOOLEAN NOT NULL DEFAULT false,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastSignInAt" TIMESTAMP(3),

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "address" TEXT,
    "userAgent" TEXT,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" TEXT,
    "username" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT,
    "targetName" TEXT,
    "detail" TEXT NOT NULL DEFAULT '',
    "address" TEXT,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VerificationRun" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "settings" TEXT NOT NULL DEFAULT '{}',
    "summary" TEXT NOT NULL DEFAULT '{}',
    "keysChecked" BIGINT NOT NULL DEFAULT 0,
    "conflicts" BIGINT NOT NULL DEFAULT 0,
    "errorMessage" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "VerificationRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VerificationRound" (
    "id" SERIAL NOT NULL,
    "runId" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "scope" TEXT NOT NULL,
    "keysChecked" BIGINT NOT NULL,
    "conflicts" BIGINT NOT NULL,
    "counts" TEXT NOT NULL,
    "dbs" TEXT NOT NULL,
    "recheckOverflow" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,

    CONSTRAINT "VerificationRound_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskMetric" (
    "id" SERIAL NOT NULL,
    "taskId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "stage" TEXT NOT NULL,
    "fullPercent" DOUBLE PRECISION NOT NULL,
    "keysDone" BIGINT NOT NULL,
    "keysTotal" BIGINT NOT NULL,
    "rdbBytesDone" BIGINT NOT NULL,
    "rps" DOUBLE PRECISION NOT NULL,
    "bytesPerSecond" DOUBLE PRECISION NOT NULL,
    "delayMs" INTEGER,
    "receivedOffset" BIGINT NOT NULL,
    "checkpointOffset" BIGINT,
    "replid" TEXT,

    CONSTRAINT "TaskMetric_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Instance_instanceId_key" ON "Instance"("instanceId");

-- CreateIndex
CREATE INDEX "Task_region_createdAt_idx" ON "Task"("region", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskShard_taskId_name_key" ON "TaskShard"("taskId", "name");

-- CreateIndex
CREATE INDEX "TaskLog_taskId_createdAt_idx" ON "TaskLog"("taskId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");

-- CreateIndex
CREATE INDEX "AuditLog_username_at_idx" ON "AuditLog"("username", "at");

-- CreateIndex
CREATE INDEX "AuditLog_targetType_targetId_at_idx" ON "AuditLog"("targetType", "targetId", "at");

-- CreateIndex
CREATE INDEX "VerificationRun_taskId_startedAt_idx" ON "VerificationRun"("taskId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "VerificationRound_runId_round_key" ON "VerificationRound"("runId", "round");

-- CreateIndex
CREATE INDEX "TaskMetric_taskId_at_idx" ON "TaskMetric"("taskId", "at");

-- AddForeignKey
ALTER TABLE "TaskShard" ADD CONSTRAINT "TaskShard_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskLog" ADD CONSTRAINT "TaskLog_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VerificationRun" ADD CONSTRAINT "VerificationRun_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VerificationRound" ADD CONSTRAINT "VerificationRound_runId_fkey" FOREIGN KEY ("runId") REFERENCES "VerificationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskMetric" ADD CONSTRAINT "TaskMetric_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE CASCADE ON UPDATE CASCADE;
