import type { MailContent } from '@backlot/mail';

export function emailChangeMail(link: string, hours: number): MailContent {
  return {
    subject: 'Confirm your new email address',
    text: `Someone asked to move a Backlot account to this address.\n\nConfirm it within ${hours} hours:\n${link}\n\nIf it was not you, ignore this message; nothing changes.\n`,
  };
}

export function emailChangedNotice(newEmail: string): MailContent {
  return {
    subject: 'Your email address was changed',
    text: `The email address of your Backlot account was changed to ${newEmail}.\n\nIf you did not do this, reset your password and contact an administrator.\n`,
  };
}
