-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "token_purpose" ADD VALUE 'provider_exchange';
ALTER TYPE "token_purpose" ADD VALUE 'sign_in_code';

-- AlterTable
ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL;

-- CreateTable
CREATE TABLE "identities" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "provider" VARCHAR(40) NOT NULL,
    "issuer" VARCHAR(2048) NOT NULL,
    "subject" VARCHAR(255) NOT NULL,
    "email" VARCHAR(254),
    "email_verified" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "identities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "auth_providers" (
    "name" VARCHAR(40) NOT NULL,
    "preset" VARCHAR(20) NOT NULL,
    "display_name" VARCHAR(100) NOT NULL,
    "issuer" VARCHAR(2048),
    "client_id" VARCHAR(500) NOT NULL,
    "client_secret" TEXT,
    "options" JSONB,
    "scopes" VARCHAR(1000) NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_providers_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "sign_in_flows" (
    "id" UUID NOT NULL,
    "state_hash" CHAR(64) NOT NULL,
    "provider" VARCHAR(40) NOT NULL,
    "secrets" TEXT NOT NULL,
    "redirect_url" VARCHAR(2048) NOT NULL,
    "link_user_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "sign_in_flows_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "identities_user_id_idx" ON "identities"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "identities_provider_issuer_subject_key" ON "identities"("provider", "issuer", "subject");

-- CreateIndex
CREATE UNIQUE INDEX "sign_in_flows_state_hash_key" ON "sign_in_flows"("state_hash");

-- CreateIndex
CREATE INDEX "sign_in_flows_expires_at_idx" ON "sign_in_flows"("expires_at");

-- AddForeignKey
ALTER TABLE "identities" ADD CONSTRAINT "identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
