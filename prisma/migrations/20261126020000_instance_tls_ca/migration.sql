-- AlterTable
ALTER TABLE "Instance" ADD COLUMN "tlsCa" TEXT;
