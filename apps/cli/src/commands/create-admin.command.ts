import { type AppConfig } from '@backlot/config';
import { passwordProblem } from '@backlot/security';
import { createApp } from '../../../api/src/app.factory';
import { CredentialsService } from '../../../api/src/users/credentials.service';
import { UsersService } from '../../../api/src/users/users.service';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Creates an admin account (verified, so it can sign in at once), or promotes an existing
 * account to admin. The password comes from ADMIN_PASSWORD or the first line of stdin,
 * never from the command line, where it would land in shell history and `ps`.
 */
export async function createAdmin(config: AppConfig, email: string | undefined, print: (line: string) => void): Promise<number> {
  if (!email || !EMAIL.test(email)) {
    print('Usage: create-admin <email>   (password from ADMIN_PASSWORD or stdin)');
    return 2;
  }
  const app = await createApp(config, {});
  try {
    const users = app.get(UsersService);
    const existing = await users.findByEmail(email);
    if (existing) {
      if (existing.role === 'admin') print(`${existing.email} is already an admin.`);
      else {
        await users.setRole(existing.id, 'admin');
        print(`Promoted ${existing.email} to admin.`);
      }
      return 0;
    }
    const password = process.env.ADMIN_PASSWORD ?? (await readFirstLine());
    const problem = passwordProblem(password);
    if (problem) {
      print(`The password ${problem}.`);
      return 2;
    }
    const passwordHash = await app.get(CredentialsService).hashPassword(password);
    const user = await users.create({ email, passwordHash, role: 'admin', verified: true });
    print(`Created admin ${user.email} (${user.id}).`);
    return 0;
  } finally {
    await app.close();
  }
}

async function readFirstLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password for the new admin: ');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}
