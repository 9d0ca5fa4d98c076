import type { MailMessage } from '@backlot/mail';

export function verifyEmailMail(to: string, link: string, hours: number): MailMessage {
  return {
    to,
    subject: 'Confirm your email address',
    text: `Welcome to Backlot.\n\nConfirm your email address within ${hours} hours:\n${link}\n\nIf you did not sign up, ignore this message.\n`,
  };
}

export function alreadyRegisteredMail(to: string, resetLink: string): MailMessage {
  return {
    to,
    subject: 'Someone tried to sign up with your email address',
    text: `Someone tried to create a Backlot account with this address, which already has one.\n\nIf it was you and you forgot your password, reset it here:\n${resetLink}\n\nOtherwise ignore this message; your account is unchanged.\n`,
  };
}

export function resetPasswordMail(to: string, link: string, minutes: number): MailMessage {
  return {
    to,
    subject: 'Reset your password',
    text: `Someone asked to reset the password of your Backlot account.\n\nChoose a new password within ${minutes} minutes:\n${link}\n\nIf it was not you, ignore this message; your password is unchanged.\n`,
  };
}
