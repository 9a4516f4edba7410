/**
 * Secrets written into a saved pipeline (config-secrets.ts): which fields are sealed, how a
 * `******` keeps what the same field held before (by trigger type and source, by stage refId and
 * name, whatever their order), and what a reader sees.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAesGcmCipher } from '../../../adapters/crypto/aes-gcm-cipher.ts';
import { sealConfigSecrets, shownPipelineConfig } from '../../../core/execution/config-secrets.ts';

const cipher = createAesGcmCipher(randomBytes(32), (bytes) => randomBytes(bytes));
const ciphers = { values: cipher };

const config = {
  application: 'shop',
  name: 'p',
  triggers: [{ type: 'git', source: 'github', secret: 'trigger-secret-1' }, { type: 'webhook', source: 'ci' }],
  stages: [
    { refId: 'a', type: 'webhook', customHeaders: { Authorization: 'Bearer hdr-secret-2', 'X-Team': 'core', 'X-Api-Key': '${parameters.key}' } },
    { refId: 'b', type: 'runJob', env: { DEPLOY_TOKEN: 'env-secret-3', LOG_LEVEL: 'info' } },
    { refId: 'c', type: 'wait', customHeaders: { Authorization: 'not a webhook stage' } },
  ],
};

describe('secrets written into a pipeline', () => {
  it('seals the trigger secret, secret-named headers and env values, and nothing else', async () => {
    const sealed = await sealConfigSecrets(config, undefined, ciphers, 'shop');
    if (!sealed.ok) throw new Error(sealed.message);
    const text = JSON.stringify(sealed.config);
    for (const secret of ['trigger-secret-1', 'hdr-secret-2', 'env-secret-3']) expect(text).not.toContain(secret);
    const stages = sealed.config['stages'] as any[];
    expect(stages[0].customHeaders['X-Team']).toBe('core');
    expect(stages[0].customHeaders['X-Api-Key']).toBe('${parameters.key}');
    expect(stages[1].env.LOG_LEVEL).toBe('info');
    expect(stages[2].customHeaders.Authorization).toBe('not a webhook stage');
    // the trigger's secret opens only as a trigger secret of this application
    const triggerSecret = String((sealed.config['triggers'] as any[])[0].secret).slice('[[gennaker-sealed:'.length, -2);
    expect(await cipher.decrypt([triggerSecret], 'trigger:shop')).toEqual(['trigger-secret-1']);
    expect(await cipher.decrypt([triggerSecret], 'shop')).toEqual([undefined]);
  });

  it('shows every secret field as ******, also one saved in plaintext before sealing existed', async () => {
    const sealed = await sealConfigSecrets(config, undefined, ciphers, 'shop');
    for (const stored of [config, sealed.ok ? sealed.config : config]) {
      const shown = shownPipelineConfig(stored) as any;
      expect(shown.triggers[0].secret).toBe('******');
      expect(shown.stages[0].customHeaders).toEqual({ Authorization: '******', 'X-Team': 'core', 'X-Api-Key': '${parameters.key}' });
      expect(shown.stages[1].env).toEqual({ DEPLOY_TOKEN: '******', LOG_LEVEL: 'info' });
    }
  });

  it('keeps what the same field held before for ******, by identity rather than position', async () => {
    const first = await sealConfigSecrets(config, undefined, ciphers, 'shop');
    if (!first.ok) throw new Error(first.message);
    const shown = shownPipelineConfig(first.config) as any;
    // the stages reordered, a stage added, then saved back
    const edited = { ...shown, stages: [{ refId: 'z', type: 'wait' }, shown.stages[1], shown.stages[0]] };
    const second = await sealConfigSecrets(edited, first.config, ciphers, 'shop');
    if (!second.ok) throw new Error(second.message);
    const stages = second.config['stages'] as any[];
    expect(stages[2].customHeaders.Authorization).toBe((first.config['stages'] as any[])[0].customHeaders.Authorization);
    expect(stages[1].env.DEPLOY_TOKEN).toBe((first.config['stages'] as any[])[1].env.DEPLOY_TOKEN);
    expect((second.config['triggers'] as any[])[0].secret).toBe((first.config['triggers'] as any[])[0].secret);
  });

  it('refuses ****** where the field held nothing before, naming it', async () => {
    const refused = await sealConfigSecrets({ ...config, stages: [{ refId: 'a', type: 'webhook', customHeaders: { Authorization: '******' } }] }, undefined, ciphers, 'shop');
    expect(refused).toEqual({ ok: false, pointer: '/stages/0/customHeaders/Authorization', message: "'******' keeps the secret saved before, but this pipeline had none for stage a's Authorization; give the secret itself" });
  });

  it('keeps values as given without a cipher', async () => {
    const kept = await sealConfigSecrets(config, undefined, {}, 'shop');
    expect(kept).toEqual({ ok: true, config });
  });
});
