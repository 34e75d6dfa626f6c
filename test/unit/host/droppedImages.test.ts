// Images dropped on the Classify Image panel: only local image files inside the folders the user chose
// (links resolved) reach the trainer, each once, and everything left out says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  checkDroppedImages,
  localPathOf,
  MAX_DROPPED_IMAGES,
  uriListEntries,
} from '../../../src/host/classify/droppedImages';

const work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'it-drop-')));
test.after(() => rmSync(work, { recursive: true, force: true }));
const workspace = path.join(work, 'ws');
const extra = path.join(work, 'extra-data');
const outside = path.join(work, 'elsewhere');
for (const dir of [path.join(workspace, 'cats'), extra, outside]) mkdirSync(dir, { recursive: true });
const file = (dir: string, name: string): string => {
  const full = path.join(dir, name);
  writeFileSync(full, 'not really an image; the trainer decodes it');
  return full;
};
const cat = file(path.join(workspace, 'cats'), 'a.png');
const dog = file(extra, 'dog.JPG');
const secret = file(outside, 'secret.png');
const notes = file(workspace, 'notes.txt');
mkdirSync(path.join(workspace, 'folder.png'));
symlinkSync(secret, path.join(workspace, 'link-out.png'));
symlinkSync(cat, path.join(workspace, 'link-in.png'));
const policy = { workspaceFolders: [workspace], configuredRoots: [extra], homeDir: path.join(work, 'home') };
const uri = (p: string): string => pathToFileURL(p).toString();

test('a uri-list: one URI a line, comments and blank lines skipped', () => {
  assert.deepEqual(uriListEntries(`# dragged\r\n${uri(cat)}\r\n\r\n${uri(dog)}\n`), [uri(cat), uri(dog)]);
});

test('only file: URIs of this machine name a local path', () => {
  assert.deepEqual(localPathOf(uri(cat)), { path: cat });
  assert.match((localPathOf('https://example.com/a.png') as { reason: string }).reason, /https URI/);
  assert.match((localPathOf('file://server/share/a.png') as { reason: string }).reason, /another machine/);
  assert.match((localPathOf('vscode-remote://x/a.png') as { reason: string }).reason, /not a local file/);
  assert.match((localPathOf('not a uri') as { reason: string }).reason, /not a URI/);
});

test('images inside the workspace or a data set root are accepted once; the rest is refused with the reason', async () => {
  const result = await checkDroppedImages(
    [
      uri(cat),
      uri(dog),
      uri(cat),
      uri(path.join(workspace, 'link-in.png')),
      uri(secret),
      uri(path.join(workspace, 'link-out.png')),
      uri(notes),
      uri(path.join(workspace, 'folder.png')),
      uri(path.join(workspace, 'gone.png')),
      'https://example.com/x.png',
    ],
    policy,
  );
  assert.deepEqual(result.accepted, [cat, dog], 'each real file once, in drop order');
  const reasons = Object.fromEntries(result.refused.map((r) => [path.basename(r.item), r.reason]));
  assert.match(reasons['secret.png'], /outside the workspace and imageTrainer\.datasetRoots/);
  assert.match(reasons['link-out.png'], /outside the workspace/, 'a link is judged by where it leads');
  assert.match(reasons['notes.txt'], /not an image file/);
  assert.match(reasons['folder.png'], /not a regular file/);
  assert.match(reasons['gone.png'], /no such file/);
  assert.match(reasons['x.png'], /https URI/);
  assert.equal(result.refused.length, 6);
});

test('a forbidden root (the home folder) allows nothing, and one drop classifies at most the cap', async () => {
  const home = await checkDroppedImages([uri(cat)], {
    ...policy,
    workspaceFolders: [],
    configuredRoots: [work],
    homeDir: workspace,
  });
  assert.deepEqual(home.accepted, [], 'a root holding the home folder is never used');
  const many = Array.from({ length: MAX_DROPPED_IMAGES + 3 }, (_, i) => file(extra, `img-${i}.png`));
  const capped = await checkDroppedImages(many.map(uri), policy);
  assert.equal(capped.accepted.length, MAX_DROPPED_IMAGES);
  assert.equal(capped.refused.length, 3);
  assert.match(capped.refused[0].reason, new RegExp(`more than ${MAX_DROPPED_IMAGES} images`));
});
