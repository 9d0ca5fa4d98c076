-- CreateTable
CREATE TABLE "mail_recipient_counts" (
    "recipient_hash" CHAR(64) NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "requested" INTEGER NOT NULL,

    CONSTRAINT "mail_recipient_counts_pkey" PRIMARY KEY ("recipient_hash")
);

-- CreateIndex
CREATE INDEX "mail_recipient_counts_window_start_idx" ON "mail_recipient_counts"("window_start");
