-- AlterEnum
ALTER TYPE "SkippedRecordKind" ADD VALUE 'TRANSCRIPT';
