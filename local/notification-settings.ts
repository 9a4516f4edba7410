/**
 * Local mode's notification settings: `<state dir>/notifications.json` when it exists (its format:
 * core/notifications/settings.ts and the README's "Notifications"). Read once at start; a
 * broken file stops the start with one line per problem.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNotificationSettings, type NotificationSettings } from '../core/notifications/settings.ts';

/** The settings file's name inside the state directory. */
export const NOTIFICATIONS_FILE = 'notifications.json';

/** The settings of `<dir>/notifications.json` (none when the file does not exist), or why the file cannot be used. */
export async function loadNotificationSettings(dir: string): Promise<{ ok: true; settings: NotificationSettings } | { ok: false; message: string }> {
  const file = join(dir, NOTIFICATIONS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, settings: {} };
    return { ok: false, message: `${file}: cannot be read (${(error as Error).message})` };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${file}: not JSON (${(error as Error).message}); see "Notifications" in the README for its format` };
  }
  return parseNotificationSettings(input, file);
}
