// The picture queue shared by the galleries and the inspector: newest request first, each picture made
// once, posted in batches, skipped indices never posted, nothing made after dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type MadePicture, PictureQueue } from '../../../src/host/gallery/pictureQueue';

function queueOf(batchSize: number, make: (index: number) => Promise<string | null>) {
  const made: number[] = [];
  const posted: MadePicture[][] = [];
  const queue = new PictureQueue({
    batchSize,
    make: (index) => {
      made.push(index);
      return make(index);
    },
    post: (batch) => posted.push(batch),
  });
  return { queue, made, posted };
}

test('the newest request goes first, and a picture is made once', async () => {
  const { queue, made, posted } = queueOf(2, async (i) => `uri-${i}`);
  queue.putFirst([1, 2, 3]);
  queue.putFirst([3, 4]);
  await queue.run();
  assert.deepEqual(made, [3, 4, 1, 2]);
  assert.deepEqual(posted, [
    [
      { index: 3, uri: 'uri-3' },
      { index: 4, uri: 'uri-4' },
    ],
    [
      { index: 1, uri: 'uri-1' },
      { index: 2, uri: 'uri-2' },
    ],
  ]);
  queue.putFirst([2, 5]);
  await queue.run();
  assert.deepEqual(made, [3, 4, 1, 2, 5]);
  assert.equal(queue.get(5), 'uri-5');
  assert.equal(queue.has(6), false);
});

test('a skipped index is neither remembered nor posted; a failed one is posted as empty', async () => {
  const { queue, posted } = queueOf(8, async (i) => (i === 1 ? null : i === 2 ? '' : `uri-${i}`));
  queue.putFirst([0, 1, 2]);
  await queue.run();
  assert.deepEqual(posted, [
    [
      { index: 0, uri: 'uri-0' },
      { index: 2, uri: '' },
    ],
  ]);
  assert.equal(queue.has(1), false);
});

test('after dispose nothing more is made or posted', async () => {
  let release: () => void = () => undefined;
  const { queue, made, posted } = queueOf(1, (i) =>
    i === 0
      ? new Promise<string>((resolve) => (release = () => resolve('uri-0')))
      : Promise.resolve(`uri-${i}`),
  );
  queue.putFirst([0, 1, 2]);
  const running = queue.run();
  queue.dispose();
  release();
  await running;
  assert.deepEqual(made, [0]);
  assert.deepEqual(posted, [[{ index: 0, uri: 'uri-0' }]]);
});
