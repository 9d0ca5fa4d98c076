export * from './mail.module';
export { type MailContent, MailOutbox, MailOutboxModule, type OutgoingMail } from './mail-outbox';
export { MailDeliveryError, type MailMessage, MailService } from './mail.service';
export { MailRecipientLimit } from './recipient-limit';
