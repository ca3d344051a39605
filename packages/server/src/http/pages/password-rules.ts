import { PASSWORD_MAX, PASSWORD_MIN } from '../../core/accounts/password-policy.js';

/** The password rules in words, under every new-password field (the server enforces them). */
export const PASSWORD_RULES = `Use ${PASSWORD_MIN} to ${PASSWORD_MAX} characters. Very common passwords, such as “password1”, are refused. A few unrelated words make a strong password that is easy to remember.`;
