-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "last_spent_token_id" UUID,
ADD COLUMN     "successor_sealed" TEXT;
