-- AlterTable
ALTER TABLE "TaskShard" ADD COLUMN "status" TEXT;
ALTER TABLE "TaskShard" ADD COLUMN "message" TEXT;
ALTER TABLE "TaskShard" ADD COLUMN "progress" TEXT;
ALTER TABLE "TaskShard" ADD COLUMN "workerId" TEXT;
ALTER TABLE "TaskShard" ADD COLUMN "lease" TEXT;
