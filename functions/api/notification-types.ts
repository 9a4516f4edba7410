/**
 * What `GET /notifications/metadata` lists, loaded on demand (scripts/build.js ON_DEMAND_MODULES):
 * the notification types the notifier sends under the deployment's settings. On AWS the
 * settings are the CDK context `notifications` (NOTIFICATION_SETTINGS), checked at synthesis.
 */
import { notificationTypeMetadata, type NotificationTypeMetadata, type NotifierRuntime } from '../../core/notifications/metadata.ts';
import { parseNotificationSettingsText } from '../../core/notifications/settings.ts';

/** The types sent under the settings held as JSON text; a malformed text throws its problem, naming the field. */
export function notificationTypesOf(settingsText: string | undefined, runtime: NotifierRuntime): NotificationTypeMetadata[] {
  const parsed = parseNotificationSettingsText(settingsText, 'NOTIFICATION_SETTINGS');
  if (!parsed.ok) throw new Error(parsed.message);
  return notificationTypeMetadata(parsed.settings, runtime);
}
