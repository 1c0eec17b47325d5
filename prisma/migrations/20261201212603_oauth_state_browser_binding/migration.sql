-- AlterTable
ALTER TABLE "OAuthState" ADD COLUMN     "codeChallenge" TEXT,
ADD COLUMN     "startedAt" TIMESTAMPTZ(3);
