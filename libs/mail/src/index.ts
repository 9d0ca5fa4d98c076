export * from './mail.module';
export { MailOutbox, MailOutboxModule } from './mail-outbox';
export { MailDeliveryError, type MailMessage, MailService } from './mail.service';
