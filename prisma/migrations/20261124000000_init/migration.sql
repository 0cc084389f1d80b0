-- CreateTable
CREATE TABLE "Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Task" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "fullProgress" REAL NOT NULL DEFAULT 0,
    "keysDone" BIGINT NOT NULL DEFAULT 0,
    "keysTotal" BIGINT NOT NULL DEFAULT 0,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "delayMs" INTEGER,
    "errorMessage" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "endedAt" DATETIME,
    "releasedAt" DATETIME
);

-- CreateTable
CREATE TABLE "TaskShard" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "taskId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "stage" TEXT NOT NULL DEFAULT 'pending',
    "replid" TEXT,
    "offset" BIGINT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "TaskShard_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TaskLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "taskId" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TaskLog_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Instance_instanceId_key" ON "Instance"("instanceId");

-- CreateIndex
CREATE INDEX "Task_region_createdAt_idx" ON "Task"("region", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskShard_taskId_name_key" ON "TaskShard"("taskId", "name");

-- CreateIndex
CREATE INDEX "TaskLog_taskId_createdAt_idx" ON "TaskLog"("taskId", "createdAt");
