-- AlterTable
ALTER TABLE "Task" ADD COLUMN "cutover" TEXT;
