/**
 * The embedded DynamoDB answers the SDK inside this process and opens no socket: another
 * process on the machine has nothing to connect to. Its data is still real (LevelDB on disk,
 * reopened by the next start), and an unknown operation is answered as DynamoDB would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../local/dynalite.ts';
import { listeningSockets } from '../support/listening-sockets.ts';

const dir = mkdtempSync(join(tmpdir(), 'gennaker-dynalite-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listeners = () => listeningSockets([process.pid]).map((socket) => `${socket.kind}:${socket.kind === 'tcp' ? socket.port : socket.path}`).sort();

describe('the embedded DynamoDB', () => {
  it('opens no listening socket, in memory or on disk', async () => {
    // given
    const before = listeners();

    // when
    const memory = await startDynalite();
    const disk = await startDynalite({ path: join(dir, 'data') });

    // then
    expect(listeners()).toEqual(before);
    expect((await memory.client.send(new ListTablesCommand({}))).TableNames).toEqual([memory.tableName]);
    await memory.stop();
    await disk.stop();
  });

  it('keeps what it stored on disk across a restart', async () => {
    const path = join(dir, 'restart');
    const first = await startDynalite({ path });
    await first.client.send(new PutItemCommand({ TableName: first.tableName, Item: { pk: { S: 'k' }, sk: { S: 's' }, value: { S: 'kept' } } }));
    await first.stop();
    const second = await startDynalite({ path });
    const read = await second.client.send(new GetItemCommand({ TableName: second.tableName, Key: { pk: { S: 'k' }, sk: { S: 's' } } }));
    expect(read.Item?.value).toEqual({ S: 'kept' });
    await second.stop();
  });

  it('answers a bad request as DynamoDB does, and refuses calls once stopped', async () => {
    const dynalite = await startDynalite();
    await expect(dynalite.client.send(new GetItemCommand({ TableName: 'missing', Key: { pk: { S: 'k' } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await dynalite.stop();
    await expect(dynalite.createClient().send(new ListTablesCommand({}))).rejects.toThrow('the embedded DynamoDB is stopped');
  });
});
