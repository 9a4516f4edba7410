import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotificationSettings } from '../../../core/notifications/settings.ts';
import { loadNotificationSettings } from '../../../local/notification-settings.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function stateDir(file?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gennaker-notify-settings-'));
  dirs.push(dir);
  if (file !== undefined) writeFileSync(join(dir, 'notifications.json'), file);
  return dir;
}

describe('notification settings', () => {
  it('has none when the state directory has no notifications.json', async () => {
    expect(await loadNotificationSettings(stateDir())).toEqual({ ok: true, settings: {} });
  });

  it('reads the README example', async () => {
    const settings = {
      dashboardUrl: 'https://spinnaker.example.com',
      slack: { webhookUrlSecret: 'slack-webhook' },
      email: { from: 'gennaker@example.com', smtp: { host: 'smtp.example.com', port: 587, user: 'gennaker', passwordSecret: 'smtp-password' } },
      githubStatus: { tokenSecret: 'github-token' },
    };
    expect(await loadNotificationSettings(stateDir(JSON.stringify(settings)))).toEqual({ ok: true, settings });
  });

  it('refuses a broken file with one line per problem, naming the field', async () => {
    const dir = stateDir(JSON.stringify({ slak: {}, email: { from: 'nobody', smtp: { host: 'x', port: 0 } }, githubStatus: { tokenSecret: 'has space' } }));
    const loaded = await loadNotificationSettings(dir);
    expect(loaded.ok).toBe(false);
    const file = join(dir, 'notifications.json');
    expect(loaded.ok ? [] : loaded.message.split('\n').sort()).toEqual(
      [
        `${file}: (the document): unknown field 'slak'; the fields are dashboardUrl, apiUrl, slack, email, githubStatus, sns`,
        `${file}: email.from: expected an email address, got "nobody"`,
        `${file}: email.smtp.port: expected a port number 1-65535, got 0`,
        `${file}: githubStatus.tokenSecret: expected a secret name: letters, digits, ., _ or -`,
      ].sort(),
    );
    expect(parseNotificationSettings({ dashboardUrl: 'deck' }, 'x')).toEqual({ ok: false, message: 'x: dashboardUrl: expected the dashboard\'s base URL (an http(s) URL), got "deck"' });
    expect(await loadNotificationSettings(stateDir('{'))).toMatchObject({ ok: false, message: expect.stringContaining('not JSON') });
  });
});
