/** What a one-time token is for; a token spent for one purpose is useless for any other. */
export type TokenPurpose = 'verify_email' | 'reset_password' | 'change_email' | 'mfa_challenge' | 'provider_exchange' | 'sign_in_code';
