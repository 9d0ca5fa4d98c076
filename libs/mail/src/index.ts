export * from './mail.module';
export { MailDeliveryError, type MailMessage, MailService } from './mail.service';
