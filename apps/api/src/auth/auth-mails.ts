import type { MailContent } from '@backlot/mail';

export function verifyEmailMail(link: string, hours: number): MailContent {
  return {
    subject: 'Confirm your email address',
    text: `Welcome to Backlot.\n\nConfirm your email address within ${hours} hours:\n${link}\n\nIf you did not sign up, ignore this message.\n`,
  };
}

export function alreadyRegisteredMail(resetLink: string): MailContent {
  return {
    subject: 'Someone tried to sign up with your email address',
    text: `Someone tried to create a Backlot account with this address, which already has one.\n\nIf it was you and you forgot your password, reset it here:\n${resetLink}\n\nOtherwise ignore this message; your account is unchanged.\n`,
  };
}

export function resetPasswordMail(link: string, minutes: number): MailContent {
  return {
    subject: 'Reset your password',
    text: `Someone asked to reset the password of your Backlot account.\n\nChoose a new password within ${minutes} minutes:\n${link}\n\nIf it was not you, ignore this message; your password is unchanged.\n`,
  };
}

export function signInCodeMail(code: string, link: string, minutes: number): MailContent {
  return {
    subject: 'Your sign-in code',
    text: `Someone asked to sign in to your Backlot account with this address.\n\nYour code is ${code}. Enter it within ${minutes} minutes, or sign in with this link:\n${link}\n\nThe code and the link work once. If it was not you, ignore this message: nobody can sign in without the code or the link.\n`,
  };
}
