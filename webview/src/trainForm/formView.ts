// The New Training form's DOM. Built once per `init` (fields keep focus and caret while the user types),
// then brought up to date from the state: each field's value, its CLI message beside it, the preset's
// description, the estimate, the buttons and the queue. Labels are the inputs' accessible names.
import type { TrainingConfig } from '../../../src/protocol/config';
import { formatBytes, formatDuration } from '../../../src/protocol/format';
import {
  describeFormDataset,
  formGroups,
  PRESET_DESCRIPTIONS,
  type FormField,
} from '../../../src/core/trainForm';
import { el } from '../dom';
import {
  blockedReason,
  commandLine,
  estimate,
  type FormState,
  type FormUiAction,
  previewKey,
  usesBase,
} from './formState';
import type { FormAction } from '../../../src/protocol/trainFormMessages';

export interface FormView {
  update(state: FormState): void;
}

const ACTION_LABELS: Record<FormAction, string> = {
  train: 'Train',
  queue: 'Add to Queue',
  saveConfig: 'Save as Config…',
};

const idOf = (path: string): string => `field-${path.replace(/\./g, '-')}`;

function fieldControl(
  doc: Document,
  field: FormField,
  dispatch: (a: FormUiAction) => void,
): HTMLInputElement | HTMLSelectElement {
  const id = idOf(field.path);
  const common = { 'aria-describedby': `${id}-error ${id}-help`, 'data-path': field.path };
  if (field.control.kind === 'select') {
    return el(
      doc,
      'select',
      {
        attrs: { id, ...common },
        on: {
          change: (e) =>
            dispatch({ type: 'ui/setField', path: field.path, value: (e.target as HTMLSelectElement).value }),
        },
      },
      ...field.control.options.map((o) => el(doc, 'option', { attrs: { value: o }, text: o })),
    );
  }
  if (field.control.kind === 'checkbox') {
    return el(doc, 'input', {
      attrs: { id, type: 'checkbox', ...common },
      on: {
        change: (e) =>
          dispatch({
            type: 'ui/setField',
            path: field.path,
            value: String((e.target as HTMLInputElement).checked),
          }),
      },
    });
  }
  return el(doc, 'input', {
    attrs: {
      id,
      type: 'text',
      inputmode: field.control.inputMode,
      spellcheck: 'false',
      autocomplete: 'off',
      ...common,
    },
    on: {
      input: (e) =>
        dispatch({ type: 'ui/setField', path: field.path, value: (e.target as HTMLInputElement).value }),
    },
  });
}

export function buildForm(
  root: HTMLElement,
  state: FormState,
  dispatch: (a: FormUiAction) => void,
): FormView {
  const doc = root.ownerDocument;
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const title = el(doc, 'h1', { text: 'New Training' });
  const parentLine = el(doc, 'p', { class: 'parent-line' });

  const datasetSelect = el(doc, 'select', {
    attrs: { id: 'field-dataset' },
    on: {
      change: (e) =>
        dispatch({ type: 'ui/chooseDataset', datasetDir: (e.target as HTMLSelectElement).value }),
    },
  });
  // Under the data set: what a detection set trains, and which fields a detector does not use.
  const taskNote = el(doc, 'p', {
    class: 'note task-note',
    attrs: { 'data-key': 'task-note', hidden: true },
  });
  const baseSelect = el(doc, 'select', {
    attrs: { id: 'field-base' },
    on: {
      change: (e) => {
        const value = (e.target as HTMLSelectElement).value;
        dispatch({ type: 'ui/chooseBase', base: value === '' ? null : value });
      },
    },
  });
  const baseRow = el(
    doc,
    'div',
    { class: 'field' },
    el(doc, 'label', { attrs: { for: 'field-base' }, text: 'Pretrained base' }),
    baseSelect,
    el(doc, 'p', {
      class: 'field-help',
      text: 'transfer trains a new head on it; svm and knn use its features',
    }),
  );
  const presetLine = el(doc, 'p', { class: 'preset-description', attrs: { id: 'preset-description' } });

  const groupNodes = formGroups().map((group) => {
    const fields = group.fields.map((field) => {
      const control = fieldControl(doc, field, dispatch);
      controls.set(field.path, control);
      const error = el(doc, 'p', {
        class: 'field-error',
        attrs: { id: `${idOf(field.path)}-error`, 'aria-live': 'polite' },
      });
      errors.set(field.path, error);
      // The model's long table description gives way to the chosen preset's one line.
      const help = el(doc, 'p', {
        class: 'field-help',
        attrs: { id: `${idOf(field.path)}-help` },
        text: field.path === 'model' ? '' : field.description,
      });
      const label = el(doc, 'label', { attrs: { for: idOf(field.path) }, text: field.label });
      const row = el(doc, 'div', { class: `field field-${field.control.kind}` }, label, control, error, help);
      if (field.path === 'model') row.appendChild(presetLine);
      return row;
    });
    if (!group.advanced)
      return el(
        doc,
        'fieldset',
        { class: 'group group-basics' },
        el(doc, 'legend', { text: group.title }),
        ...fields,
      );
    return el(
      doc,
      'details',
      { class: `group group-${group.id}` },
      el(doc, 'summary', { text: group.title }),
      ...fields,
    );
  });

  const estimateLine = el(doc, 'p', { class: 'estimate', attrs: { 'aria-live': 'polite' } });
  const previewCaption = el(doc, 'p', {
    class: 'preview-caption',
    attrs: { id: 'augment-preview-caption', 'aria-live': 'polite' },
  });
  const previewGrid = el(doc, 'div', {
    class: 'preview-grid',
    attrs: { role: 'list', 'aria-describedby': 'augment-preview-caption' },
  });
  const buttons = new Map<FormAction, HTMLButtonElement>();
  for (const action of ['train', 'queue', 'saveConfig'] as const) {
    buttons.set(
      action,
      el(doc, 'button', {
        class: action === 'train' ? 'primary' : 'secondary',
        attrs: { type: 'button', 'data-key': `form-${action}` },
        text: ACTION_LABELS[action],
        on: { click: () => dispatch({ type: 'ui/submit', action }) },
      }),
    );
  }
  const blocked = el(doc, 'p', { class: 'blocked', attrs: { 'aria-live': 'polite' } });
  const commandText = el(doc, 'code', { class: 'command' });
  const commandNote = el(doc, 'p', { class: 'field-help' });
  const copy = el(doc, 'button', {
    class: 'link',
    attrs: { type: 'button', 'data-key': 'form-copy-command' },
    text: 'Copy the equivalent command',
    on: { click: () => dispatch({ type: 'ui/copyCommand' }) },
  });
  const notice = el(doc, 'p', { class: 'notice', attrs: { role: 'status' } });
  const queueList = el(doc, 'ol', { class: 'queue-list' });
  const queueEmpty = el(doc, 'p', { class: 'empty', text: 'No runs are waiting.' });

  root.replaceChildren(
    el(
      doc,
      'main',
      { class: 'train-form' },
      title,
      parentLine,
      el(
        doc,
        'fieldset',
        { class: 'group group-data' },
        el(doc, 'legend', { text: 'Data' }),
        el(
          doc,
          'div',
          { class: 'field' },
          el(doc, 'label', { attrs: { for: 'field-dataset' }, text: 'Data set' }),
          datasetSelect,
        ),
        taskNote,
        baseRow,
      ),
      // Basics, then what they cost and the buttons; the advanced groups stay folded below.
      groupNodes[0],
      el(
        doc,
        'section',
        { class: 'group group-preview', attrs: { 'aria-label': 'Augmentation preview' } },
        el(doc, 'h2', { text: 'Augmentation preview' }),
        previewCaption,
        previewGrid,
      ),
      el(
        doc,
        'section',
        { class: 'group group-estimate', attrs: { 'aria-label': 'Estimate' } },
        el(doc, 'h2', { text: 'Estimate' }),
        estimateLine,
      ),
      el(
        doc,
        'section',
        { class: 'actions', attrs: { 'aria-label': 'Actions' } },
        ...buttons.values(),
        blocked,
        notice,
        el(doc, 'div', { class: 'command-line' }, copy, commandText, commandNote),
      ),
      ...groupNodes.slice(1),
      el(
        doc,
        'section',
        { class: 'group group-queue', attrs: { 'aria-label': 'Queue' } },
        el(doc, 'h2', { text: 'Queue' }),
        queueEmpty,
        queueList,
      ),
    ),
  );

  let shownDatasets = '';
  let shownBases = '';
  let shownQueue = '';
  let shownPreview: FormState['preview']['images'] | null = null;

  function update(s: FormState): void {
    title.textContent = s.parentId ? `Re-run with Changes` : 'New Training';
    parentLine.textContent = s.parentId
      ? `Changes to run ${s.parentId}; the new run records it as its parent.`
      : '';
    const datasetsKey = JSON.stringify([s.datasets, s.datasetDir]);
    if (datasetsKey !== shownDatasets) {
      shownDatasets = datasetsKey;
      const known = s.datasets.some((d) => d.dir === s.datasetDir);
      const options = s.datasets.map((d) =>
        el(doc, 'option', {
          attrs: { value: d.dir },
          text: describeFormDataset(d),
        }),
      );
      if (s.datasetDir && !known)
        options.unshift(el(doc, 'option', { attrs: { value: s.datasetDir }, text: s.datasetDir }));
      if (!s.datasetDir)
        options.unshift(el(doc, 'option', { attrs: { value: '' }, text: 'Choose a data set' }));
      datasetSelect.replaceChildren(...options);
      datasetSelect.value = s.datasetDir ?? '';
    }
    const chosen = s.datasets.find((d) => d.dir === s.datasetDir);
    const detecting = s.values.task === 'detect';
    taskNote.hidden = !chosen?.detection && !detecting;
    taskNote.textContent = chosen?.detection
      ? detecting
        ? 'A detection set: this trains an object detector (task detect) and scores it by mAP. Model, class weight, label smoothing and the preset options do not apply to it.'
        : 'A detection set: choose task detect (Training options) to train a detector; a classifier cannot learn from boxes.'
      : detecting
        ? 'Task detect needs a detection set (YOLO, COCO or Pascal VOC).'
        : '';
    const basesKey = JSON.stringify([s.bases, s.base]);
    if (basesKey !== shownBases) {
      shownBases = basesKey;
      baseSelect.replaceChildren(
        el(doc, 'option', { attrs: { value: '' }, text: '(none)' }),
        ...s.bases.map((b) =>
          el(doc, 'option', { attrs: { value: b.name }, text: `${b.name} — ${b.description}` }),
        ),
      );
      baseSelect.value = s.base ?? '';
    }
    baseRow.hidden = s.bases.length === 0 || !usesBase(s);
    for (const [path, control] of controls) {
      const value = s.values[path] ?? '';
      if (control instanceof doc.defaultView!.HTMLInputElement && control.type === 'checkbox')
        control.checked = value === 'true';
      else if (control.value !== value) control.value = value;
      const error = s.errors[path] ?? '';
      const errorNode = errors.get(path)!;
      if (errorNode.textContent !== error) errorNode.textContent = error;
      control.setAttribute('aria-invalid', error ? 'true' : 'false');
    }
    const preset = s.values.model as TrainingConfig['model'];
    presetLine.textContent = Object.hasOwn(PRESET_DESCRIPTIONS, preset) ? PRESET_DESCRIPTIONS[preset] : '';
    estimateLine.textContent = estimateText(s);
    estimateLine.classList.toggle('warn', estimate(s).fits === false);
    let firstBlock: string | null = null;
    for (const [action, button] of buttons) {
      const reason = blockedReason(s, action);
      button.disabled = reason !== null;
      button.title = reason ?? '';
      button.setAttribute('aria-busy', s.pending === action ? 'true' : 'false');
      if (action === 'train') firstBlock = reason;
    }
    blocked.textContent =
      s.formError ?? (firstBlock && firstBlock !== 'sending…' ? `Cannot train yet: ${firstBlock}.` : '');
    notice.textContent = s.notice?.message ?? '';
    notice.className = `notice${s.notice ? ` notice-${s.notice.level}` : ''}`;
    const command = commandLine(s);
    commandText.textContent = command.command;
    commandNote.textContent =
      command.needsConfigFile.length > 0
        ? `Also set in a config file (Save as Config…, then --config FILE): ${command.needsConfigFile.join(', ')}`
        : '';
    previewCaption.textContent = previewText(s);
    previewCaption.classList.toggle('warn', s.preview.error !== null);
    previewGrid.setAttribute('aria-busy', s.preview.loading ? 'true' : 'false');
    if (s.preview.images !== shownPreview) {
      shownPreview = s.preview.images;
      previewGrid.replaceChildren(
        ...s.preview.images.map((image) =>
          el(
            doc,
            'figure',
            { class: 'preview-image', attrs: { role: 'listitem' } },
            el(doc, 'img', {
              attrs: { src: image.src, alt: `${image.label}: ${image.path}`, title: image.path },
            }),
            el(doc, 'figcaption', { text: image.label }),
          ),
        ),
      );
    }
    const queueKey = JSON.stringify(s.queue);
    if (queueKey !== shownQueue) {
      shownQueue = queueKey;
      queueEmpty.hidden = s.queue.length > 0;
      queueList.replaceChildren(
        ...s.queue.map((entry, i) =>
          el(
            doc,
            'li',
            { attrs: { 'data-queue-id': entry.id } },
            el(doc, 'span', { class: 'queue-label', text: `${entry.position}. ${entry.label}` }),
            el(doc, 'button', {
              class: 'icon',
              attrs: { type: 'button', 'aria-label': `Move ${entry.label} up`, disabled: i === 0 },
              text: '↑',
              on: { click: () => dispatch({ type: 'ui/moveQueued', id: entry.id, delta: -1 }) },
            }),
            el(doc, 'button', {
              class: 'icon',
              attrs: {
                type: 'button',
                'aria-label': `Move ${entry.label} down`,
                disabled: i === s.queue.length - 1,
              },
              text: '↓',
              on: { click: () => dispatch({ type: 'ui/moveQueued', id: entry.id, delta: 1 }) },
            }),
            el(doc, 'button', {
              class: 'icon',
              attrs: { type: 'button', 'aria-label': `Cancel ${entry.label}` },
              text: '✕',
              on: { click: () => dispatch({ type: 'ui/cancelQueued', id: entry.id }) },
            }),
          ),
        ),
      );
    }
  }

  update(state);
  return { update };
}

/** One line: time per epoch (and which run it comes from) and peak memory against the budget. */
export function estimateText(state: FormState): string {
  const e = estimate(state);
  if (e.peakBytes === null) return 'Correct the fields above to see an estimate.';
  const basis = state.basis;
  const time =
    e.secondsPerEpoch !== null && basis?.runId
      ? `about ${formatDuration(e.secondsPerEpoch * 1000)} per epoch (measured by run ${basis.runId}, ${basis.matched})`
      : 'time per epoch: no comparable run yet (the first epoch will tell)';
  const memory = `${e.peakIsFloor ? 'at least ' : ''}${formatBytes(e.peakBytes)} peak memory`;
  const budget = e.budgetBytes !== null ? ` of ${formatBytes(e.budgetBytes)} available` : '';
  const warn = e.fits === false ? ' — would not fit: use a smaller batch size or image size' : '';
  return `${time}; ${memory}${budget}${warn}.`;
}

/** The preview's caption: what the images are, or why there are none. */
export function previewText(state: FormState): string {
  const p = state.preview;
  if (!state.datasetDir) return 'Choose a data set to see its images through the augmentation.';
  // While a field is invalid the images shown are of the last valid settings: say so rather than show them as current.
  if (previewKey(state) === null) return 'Correct the fields above to see the augmentation preview.';
  if (p.error !== null) return `No preview: ${p.error}`;
  if (p.loading && p.images.length === 0) return 'Drawing the preview…';
  const what = p.augmented
    ? `through the augmentation with seed ${p.seed ?? '?'}`
    : 'without augmentation (it is off)';
  return `The first ${p.images.length} training images of epoch 1 as the trainer will see them, ${what}${p.loading ? ' — updating…' : '.'}`;
}
