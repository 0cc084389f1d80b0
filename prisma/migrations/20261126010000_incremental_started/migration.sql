-- AlterTable
ALTER TABLE "Task" ADD COLUMN "incrementalStartedAt" DATETIME;
