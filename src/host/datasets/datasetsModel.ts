// The Datasets view as plain data: data set → split → class (count) → images, paged; the doctor's
// findings from a cached scan report. The vscode adapter (datasetsView.ts) only translates nodes.
import * as path from 'node:path';
import type {
  AnnotationFinding,
  AnnotationFindingKind,
  DetectionClassCount,
  DetectionScanReport,
  DuplicateGroup,
  FindingSeverity,
  ScanReport,
  ScanWarningKind,
  SkippedFile,
} from '../../protocol';
import type { FormDataset } from '../../protocol/trainFormMessages';
import { COMMANDS } from '../ids';
import { escapeMarkdown, plural, type IconSpec, type NodePresentation } from '../treePresentation';
import type { DirectoryLister } from '../util/fsListing';
import {
  detectDatasets,
  listImages,
  type DetectedClass,
  type DetectedDataset,
  type DetectedSplit,
  type DetectionOptions,
} from './datasetDetection';
import { findingLocation } from '../detection/detectionGalleryController';

/** What `scan --json` printed: a classification report, or a detection set's (`task: "detect"`). */
export type AnyScanReport = ScanReport | DetectionScanReport;

export function isDetectionReport(report: AnyScanReport): report is DetectionScanReport {
  return 'task' in report && report.task === 'detect';
}

export type DoctorState =
  | { state: 'scanning' }
  | { state: 'done'; report: AnyScanReport; scannedAt: Date }
  | { state: 'failed'; message: string };

export type DatasetTreeNode =
  | {
      kind: 'dataset';
      dataset: DetectedDataset;
      /** A detection set's counts from its last scan, shown beside the image count. */
      scanned?: { boxes: number; classes: number };
    }
  | { kind: 'split'; dataset: DetectedDataset; split: DetectedSplit }
  | { kind: 'class'; dataset: DetectedDataset; cls: DetectedClass; split?: DetectedSplit }
  | { kind: 'image'; path: string }
  | { kind: 'loadMore'; listKey: string; remaining: number }
  | { kind: 'doctor'; dataset: DetectedDataset; doctor: DoctorState | undefined }
  | { kind: 'findingGroup'; dataset: DetectedDataset; group: 'skipped' | 'duplicates'; report: ScanReport }
  | {
      kind: 'finding';
      id: string;
      label: string;
      description?: string;
      tooltip: string;
      icon: IconSpec;
      path?: string;
    }
  | { kind: 'duplicate'; dataset: DetectedDataset; group: DuplicateGroup }
  // Object-detection sets (issue 18): classes with box counts, and the annotation doctor's findings
  // grouped by kind, each pointing at its file and line.
  | { kind: 'detectionClass'; dataset: DetectedDataset; cls: DetectionClassCount; scanned: boolean }
  | { kind: 'detectionScanHint'; dataset: DetectedDataset }
  | {
      kind: 'annotationGroup';
      dataset: DetectedDataset;
      findingKind: AnnotationFindingKind;
      /** Indices into the report's findings. */
      findings: number[];
      report: DetectionScanReport;
    }
  | { kind: 'annotationFinding'; dataset: DetectedDataset; finding: AnnotationFinding; index: number };

/**
 * A data set as the New Training form lists it: a detection set with its format and, once its scan is done,
 * its classes and boxes (never a classification set's "0 classes").
 */
export function formDatasetOf(dataset: DetectedDataset, doctor: DoctorState | undefined): FormDataset {
  const base = { dir: dataset.root, name: dataset.name, images: dataset.total };
  if (!dataset.detection) return { ...base, classes: dataset.classes.length };
  const report = doctor?.state === 'done' && isDetectionReport(doctor.report) ? doctor.report : null;
  const scanned = report ? { classes: report.classNames.length, boxes: report.boxes } : null;
  return {
    ...base,
    // The scan read every image: its count wins over the listing's.
    ...(report ? { images: report.images } : {}),
    classes: scanned?.classes ?? 0,
    detection: { format: dataset.detection.format, scanned },
  };
}

export interface DatasetsModelDeps {
  lister: DirectoryLister;
  /** Read at every refresh, so settings changes apply. */
  options: () => DetectionOptions;
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 200;

const WARNING_ICONS: Record<ScanWarningKind, IconSpec> = {
  'empty-class': { id: 'circle-slash', color: 'problemsWarningIcon.foreground' },
  imbalance: { id: 'graph', color: 'problemsWarningIcon.foreground' },
  'few-images': { id: 'info', color: 'problemsInfoIcon.foreground' },
  'label-conflict': { id: 'error', color: 'problemsErrorIcon.foreground' },
  'split-leak': { id: 'error', color: 'problemsErrorIcon.foreground' },
};

export class DatasetsModel {
  private datasets: DetectedDataset[] = [];
  private loaded = false;
  private readonly lists = new Map<string, string[]>();
  private readonly shown = new Map<string, number>();
  private readonly doctor = new Map<string, DoctorState>();
  private readonly pageSize: number;

  constructor(private readonly deps: DatasetsModelDeps) {
    this.pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  /** Re-detects the data sets and forgets cached image lists (counts may have changed). */
  async refresh(): Promise<void> {
    this.datasets = await detectDatasets(this.deps.lister, this.deps.options());
    this.loaded = true;
    this.lists.clear();
  }

  async all(): Promise<readonly DetectedDataset[]> {
    if (!this.loaded) await this.refresh();
    return this.datasets;
  }

  /** The data sets of the last detection, without detecting again. */
  get known(): readonly DetectedDataset[] {
    return this.datasets;
  }

  async find(root: string): Promise<DetectedDataset | undefined> {
    return (await this.all()).find((d) => d.root === path.resolve(root));
  }

  setDoctor(root: string, state: DoctorState): void {
    this.doctor.set(path.resolve(root), state);
  }

  doctorOf(root: string): DoctorState | undefined {
    return this.doctor.get(path.resolve(root));
  }

  /** Shows one more page of the list behind a "Load more" node. */
  loadMore(listKey: string): void {
    this.shown.set(listKey, (this.shown.get(listKey) ?? this.pageSize) + this.pageSize);
  }

  async getChildren(node?: DatasetTreeNode): Promise<DatasetTreeNode[]> {
    if (!node) {
      const datasets = await this.all();
      // None: the view's welcome content (package.json viewsWelcome) offers to create the sample.
      return datasets.map((dataset) => {
        const doctor = this.doctorOf(dataset.root);
        const report = doctor?.state === 'done' && isDetectionReport(doctor.report) ? doctor.report : null;
        return dataset.detection && report
          ? { kind: 'dataset', dataset, scanned: { boxes: report.boxes, classes: report.classNames.length } }
          : { kind: 'dataset', dataset };
      });
    }
    switch (node.kind) {
      case 'dataset': {
        const doctor: DatasetTreeNode = {
          kind: 'doctor',
          dataset: node.dataset,
          doctor: this.doctorOf(node.dataset.root),
        };
        if (node.dataset.detection) return [doctor, ...this.detectionClassNodes(node.dataset)];
        const children: DatasetTreeNode[] =
          node.dataset.layout === 'split-folders'
            ? node.dataset.splits.map((split) => ({ kind: 'split', dataset: node.dataset, split }))
            : this.classNodes(node.dataset, undefined);
        return [doctor, ...children];
      }
      case 'split':
        return this.classNodes(node.dataset, node.split);
      case 'class': {
        const key = node.cls.dir;
        let images = this.lists.get(key);
        if (!images) {
          images = await listImages(this.deps.lister, node.cls.dir);
          this.lists.set(key, images);
        }
        return this.page(key, images, (p) => ({ kind: 'image', path: p }));
      }
      case 'doctor': {
        if (node.doctor?.state !== 'done') return [];
        const report = node.doctor.report;
        return isDetectionReport(report)
          ? annotationGroupNodes(node.dataset, report)
          : findingNodes(node.dataset, report);
      }
      case 'annotationGroup':
        return this.page(`findings:${node.dataset.root}:${node.findingKind}`, node.findings, (index) => ({
          kind: 'annotationFinding',
          dataset: node.dataset,
          finding: node.report.findings[index],
          index,
        }));
      case 'findingGroup':
        return node.group === 'skipped'
          ? this.page(`skipped:${node.dataset.root}`, node.report.skipped, (s) =>
              skippedNode(node.dataset, s),
            )
          : node.report.duplicates.map((group) => ({ kind: 'duplicate', dataset: node.dataset, group }));
      case 'duplicate':
        return node.group.paths.map((p, i) => ({
          kind: 'finding',
          id: `dup:${node.group.hash}:${i}`,
          label: p,
          description: i === 0 ? 'kept' : 'skipped',
          tooltip: escapeMarkdown(resolveIn(node.dataset.root, p)),
          icon: { id: i === 0 ? 'file-media' : 'copy' },
          path: resolveIn(node.dataset.root, p),
        }));
      case 'image':
      case 'loadMore':
      case 'finding':
      case 'detectionClass':
      case 'detectionScanHint':
      case 'annotationFinding':
        return [];
    }
  }

  /** A detection set's classes with their box counts, once a scan has counted them. */
  private detectionClassNodes(dataset: DetectedDataset): DatasetTreeNode[] {
    const doctor = this.doctorOf(dataset.root);
    if (doctor?.state !== 'done' || !isDetectionReport(doctor.report))
      return [{ kind: 'detectionScanHint', dataset }];
    return doctor.report.classes.map((cls) => ({ kind: 'detectionClass', dataset, cls, scanned: true }));
  }

  private classNodes(dataset: DetectedDataset, split: DetectedSplit | undefined): DatasetTreeNode[] {
    const classes = split
      ? split.classes
      : dataset.classes.map((c) => ({ ...c, dir: path.join(dataset.root, c.name), direct: c.count }));
    return classes.map((cls) => ({ kind: 'class', dataset, cls, split }));
  }

  private page<T>(key: string, items: readonly T[], toNode: (item: T) => DatasetTreeNode): DatasetTreeNode[] {
    const limit = this.shown.get(key) ?? this.pageSize;
    const nodes = items.slice(0, limit).map(toNode);
    if (items.length > limit) nodes.push({ kind: 'loadMore', listKey: key, remaining: items.length - limit });
    return nodes;
  }
}

function resolveIn(root: string, p: string): string {
  return path.isAbsolute(p) ? p : path.join(root, ...p.split('/'));
}

function skippedNode(dataset: DetectedDataset, skipped: SkippedFile): DatasetTreeNode {
  const full = resolveIn(dataset.root, skipped.path);
  return {
    kind: 'finding',
    id: `skipped:${full}`,
    label: skipped.path,
    description: skipped.reason,
    tooltip: `**Skipped** ${escapeMarkdown(skipped.path)}\n\n${escapeMarkdown(skipped.reason)}`,
    icon: { id: 'warning', color: 'problemsWarningIcon.foreground' },
    path: full,
  };
}

/** Problems in a scan report, as the doctor node's children. */
export function findingNodes(dataset: DetectedDataset, report: ScanReport): DatasetTreeNode[] {
  const nodes: DatasetTreeNode[] = report.warnings.map((warning, i) => ({
    kind: 'finding',
    id: `warning:${dataset.root}:${i}`,
    label: warning.message,
    description: warning.classes?.join(', '),
    tooltip: `**${warning.kind}**: ${escapeMarkdown(warning.message)}`,
    icon: WARNING_ICONS[warning.kind] ?? { id: 'warning' },
  }));
  if (report.skipped.length > 0) nodes.push({ kind: 'findingGroup', dataset, group: 'skipped', report });
  if (report.duplicates.length > 0)
    nodes.push({ kind: 'findingGroup', dataset, group: 'duplicates', report });
  if (nodes.length === 0) {
    nodes.push({
      kind: 'finding',
      id: `clean:${dataset.root}`,
      label: 'No problems found',
      tooltip: `${plural(report.total, 'image')} accepted.`,
      icon: { id: 'pass', color: 'testing.iconPassed' },
    });
  }
  return nodes;
}

const SEVERITY_ICONS: Record<FindingSeverity, IconSpec> = {
  error: { id: 'error', color: 'problemsErrorIcon.foreground' },
  warning: { id: 'warning', color: 'problemsWarningIcon.foreground' },
  info: { id: 'info', color: 'problemsInfoIcon.foreground' },
};

const SEVERITY_RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

/** What each kind of annotation finding is called in the tree (plural, as a group heading). */
export const ANNOTATION_KIND_TITLES: Record<AnnotationFindingKind, string> = {
  'box-outside-image': 'Boxes outside the image',
  'zero-area-box': 'Boxes of zero area',
  'unknown-class': 'Unknown class ids',
  'malformed-line': 'Malformed lines',
  'label-without-image': 'Label files without an image',
  'image-without-label': 'Images without a label file',
  'duplicate-box': 'Duplicate boxes',
  'tiny-box': 'Tiny boxes',
  'extreme-aspect-ratio': 'Extreme aspect ratios',
  'class-imbalance': 'Class imbalance',
};

/** A detection report's findings as one group per kind, the most severe kinds first. */
export function annotationGroupNodes(
  dataset: DetectedDataset,
  report: DetectionScanReport,
): DatasetTreeNode[] {
  const byKind = new Map<AnnotationFindingKind, number[]>();
  report.findings.forEach((finding, index) => {
    const list = byKind.get(finding.kind) ?? [];
    list.push(index);
    byKind.set(finding.kind, list);
  });
  // A loop, not Math.min(...ranks): a set of 200,000 background images has that many findings of a kind.
  const worst = (indices: number[]): number =>
    indices.reduce((rank, i) => Math.min(rank, SEVERITY_RANK[report.findings[i].severity]), Infinity);
  const groups = [...byKind.entries()].sort((a, b) => worst(a[1]) - worst(b[1]) || compareKinds(a[0], b[0]));
  if (groups.length === 0)
    return [
      {
        kind: 'finding',
        id: `clean:${dataset.root}`,
        label: 'No problems found',
        tooltip: `${plural(report.images, 'image')} and ${plural(report.boxes, 'box', 'boxes')} checked.`,
        icon: { id: 'pass', color: 'testing.iconPassed' },
      },
    ];
  return groups.map(([findingKind, findings]) => ({
    kind: 'annotationGroup',
    dataset,
    findingKind,
    findings,
    report,
  }));
}

function compareKinds(a: AnnotationFindingKind, b: AnnotationFindingKind): number {
  const order = Object.keys(ANNOTATION_KIND_TITLES);
  return order.indexOf(a) - order.indexOf(b);
}

export function problemCount(report: AnyScanReport): number {
  if (isDetectionReport(report)) return report.findings.length;
  return report.warnings.length + report.skipped.length + report.duplicates.length;
}

export function presentDatasetNode(node: DatasetTreeNode): NodePresentation {
  switch (node.kind) {
    case 'dataset': {
      const d = node.dataset;
      if (d.detection) return presentDetectionDataset(d, node.scanned);
      const layout = d.layout === 'split-folders' ? ` · ${d.splits.map((s) => s.folder).join('/')}` : '';
      return {
        id: `dataset:${d.root}`,
        label: d.name,
        description: `${plural(d.total, 'image')} · ${plural(d.classes.length, 'class', 'classes')}${layout}`,
        tooltip: `**${escapeMarkdown(d.name)}**\n\n${escapeMarkdown(d.root)}\n\n${d.layout === 'split-folders' ? 'Split folders' : 'Class folders'}`,
        icon: { id: 'folder-library' },
        collapsible: 'collapsed',
        contextValue: 'dataset',
        resourcePath: d.root,
      };
    }
    case 'split':
      return {
        id: `split:${node.split.dir}`,
        label: node.split.folder,
        description: `${plural(node.split.total, 'image')}`,
        tooltip: `${node.split.name} split\n\n${escapeMarkdown(node.split.dir)}`,
        icon: { id: 'split-horizontal' },
        collapsible: 'collapsed',
        contextValue: 'datasetSplit',
        resourcePath: node.split.dir,
      };
    case 'class': {
      const empty = node.cls.count === 0;
      return {
        id: `class:${node.cls.dir}`,
        label: node.cls.name,
        description: String(node.cls.count),
        tooltip: empty
          ? `**${escapeMarkdown(node.cls.name)}** has no images: training would fail or ignore it.`
          : `**${escapeMarkdown(node.cls.name)}**: ${plural(node.cls.count, 'image')}`,
        icon: empty ? { id: 'warning', color: 'problemsWarningIcon.foreground' } : { id: 'symbol-class' },
        collapsible: empty ? 'none' : 'collapsed',
        contextValue: 'datasetClass',
        resourcePath: node.cls.dir,
        // A click opens the class gallery; the twistie still lists the files.
        command: empty
          ? undefined
          : {
              command: COMMANDS.openClassGallery,
              title: 'Open Class Gallery',
              args: [node.dataset.root, node.cls.dir, node.cls.name, node.dataset.classes.map((c) => c.name)],
            },
      };
    }
    case 'image':
      return {
        id: `image:${node.path}`,
        label: path.basename(node.path),
        collapsible: 'none',
        contextValue: 'datasetImage',
        resourcePath: node.path,
        command: { command: 'vscode.open', title: 'Open Image', args: [node.path] },
      };
    case 'loadMore':
      return {
        id: `more:${node.listKey}`,
        label: 'Load more…',
        description: `${node.remaining.toLocaleString('en-US')} more`,
        icon: { id: 'ellipsis' },
        collapsible: 'none',
        command: { command: COMMANDS.loadMore, title: 'Load More', args: [node.listKey] },
      };
    case 'doctor':
      return presentDoctor(node.dataset, node.doctor);
    case 'findingGroup':
      return node.group === 'skipped'
        ? {
            id: `skipped:${node.dataset.root}`,
            label: 'Skipped files',
            description: String(node.report.skipped.length),
            tooltip: 'Files the trainer will not use: corrupt, empty, not an image or too large.',
            icon: { id: 'warning', color: 'problemsWarningIcon.foreground' },
            collapsible: 'collapsed',
          }
        : {
            id: `duplicates:${node.dataset.root}`,
            label: 'Duplicates',
            description: plural(node.report.duplicates.length, 'group'),
            tooltip: 'Files with identical content. Only the first of each group is used.',
            icon: { id: 'copy', color: 'problemsWarningIcon.foreground' },
            collapsible: 'collapsed',
          };
    case 'duplicate': {
      const g = node.group;
      return {
        id: `dup:${g.hash}`,
        label: g.paths[0] ?? g.hash,
        description: g.conflict
          ? `label conflict: ${g.labels.join(' vs ')}`
          : `${plural(g.paths.length - 1, 'copy', 'copies')}`,
        tooltip: `${g.conflict ? '**Label conflict**: the same image is in several classes.\n\n' : ''}${g.paths.map(escapeMarkdown).join('\n\n')}`,
        icon: g.conflict ? { id: 'error', color: 'problemsErrorIcon.foreground' } : { id: 'copy' },
        collapsible: 'collapsed',
      };
    }
    case 'detectionClass': {
      const c = node.cls;
      return {
        id: `detectionClass:${node.dataset.root}:${c.name}`,
        label: c.name,
        description: `${plural(c.boxes, 'box', 'boxes')} · ${plural(c.images, 'image')}`,
        tooltip: `**${escapeMarkdown(c.name)}**: ${plural(c.boxes, 'box', 'boxes')} in ${plural(c.images, 'image')}. Click to see them in the gallery.`,
        icon:
          c.boxes === 0 ? { id: 'warning', color: 'problemsWarningIcon.foreground' } : { id: 'symbol-class' },
        collapsible: 'none',
        contextValue: 'detectionClass',
        command: {
          command: COMMANDS.openDetectionGallery,
          title: 'Open Detection Gallery',
          args: [node.dataset.root, { className: c.name }],
        },
      };
    }
    case 'detectionScanHint':
      return {
        id: `detectionHint:${node.dataset.root}`,
        label: 'Boxes per class',
        description: 'scan to count — click',
        tooltip: 'Read every label file: box counts per class and the annotation doctor’s findings.',
        icon: { id: 'symbol-class' },
        collapsible: 'none',
        command: { command: COMMANDS.scanDataset, title: 'Scan Data Set', args: [node.dataset.root] },
      };
    case 'annotationGroup': {
      const first = node.report.findings[node.findings[0]];
      const worst = node.findings
        .map((i) => node.report.findings[i].severity)
        .sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0];
      return {
        id: `findings:${node.dataset.root}:${node.findingKind}`,
        label: ANNOTATION_KIND_TITLES[node.findingKind],
        description: String(node.findings.length),
        tooltip: `**${node.findingKind}**: ${plural(node.findings.length, 'finding')}. ${escapeMarkdown(first?.message ?? '')}`,
        icon: SEVERITY_ICONS[worst ?? 'warning'],
        collapsible: 'collapsed',
        contextValue: 'annotationGroup',
      };
    }
    case 'annotationFinding': {
      const f = node.finding;
      const where = findingLocation(f);
      const file = resolveIn(node.dataset.root, f.file);
      return {
        id: `annotation:${node.dataset.root}:${node.index}`,
        label: f.message,
        description: where,
        tooltip: `**${f.severity}** · ${f.kind}\n\n${escapeMarkdown(f.message)}\n\n${escapeMarkdown(where)}${f.image ? `\n\nImage: ${escapeMarkdown(f.image)}` : ''}`,
        icon: SEVERITY_ICONS[f.severity],
        collapsible: 'none',
        // The inline action (Show in Gallery) is offered only where there is an image to show.
        contextValue: f.image ? 'annotationFinding.image' : 'annotationFinding',
        resourcePath: file,
        command: {
          command: COMMANDS.openAnnotation,
          title: 'Open Label File at the Line',
          args: [node.dataset.root, f.file, f.line ?? 1],
        },
      };
    }
    case 'finding':
      return {
        id: node.id,
        label: node.label,
        description: node.description,
        tooltip: node.tooltip,
        icon: node.icon,
        collapsible: 'none',
        contextValue: node.path ? 'datasetFinding' : undefined,
        resourcePath: node.path,
        command: node.path ? { command: 'vscode.open', title: 'Open', args: [node.path] } : undefined,
      };
  }
}

const FORMAT_NAMES = { yolo: 'YOLO', coco: 'COCO', voc: 'Pascal VOC' } as const;

function presentDetectionDataset(
  d: DetectedDataset,
  scanned: { boxes: number; classes: number } | undefined,
): NodePresentation {
  const format = d.detection ? FORMAT_NAMES[d.detection.format] : '';
  const counts = scanned
    ? ` · ${plural(scanned.boxes, 'box', 'boxes')} · ${plural(scanned.classes, 'class', 'classes')}`
    : '';
  return {
    id: `dataset:${d.root}`,
    label: d.name,
    description: `detection · ${format} · ${plural(d.total, 'image')}${counts}`,
    tooltip: `**${escapeMarkdown(d.name)}**\n\n${escapeMarkdown(d.root)}\n\nObject detection set (${format}). Scan it to count boxes per class and check the annotations.`,
    icon: { id: 'symbol-field' },
    collapsible: 'collapsed',
    contextValue: 'dataset.detect',
    resourcePath: d.root,
  };
}

function presentDoctor(dataset: DetectedDataset, doctor: DoctorState | undefined): NodePresentation {
  const base = { id: `doctor:${dataset.root}`, label: 'Doctor' };
  if (!doctor) {
    return {
      ...base,
      description: 'not scanned — click to scan',
      tooltip: dataset.detection
        ? 'Read every label file and look for boxes outside the image or of zero area, unknown classes, malformed lines, missing files, duplicate and tiny boxes, extreme aspect ratios and imbalance.'
        : 'Decode every image and look for corrupt files, duplicates, label conflicts, empty classes and imbalance.',
      icon: { id: 'search' },
      collapsible: 'none',
      command: { command: COMMANDS.scanDataset, title: 'Scan Data Set', args: [dataset.root] },
    };
  }
  switch (doctor.state) {
    case 'scanning':
      return { ...base, description: 'scanning…', icon: { id: 'sync~spin' }, collapsible: 'none' };
    case 'failed':
      return {
        ...base,
        description: 'scan failed — click to retry',
        tooltip: escapeMarkdown(doctor.message),
        icon: { id: 'error', color: 'problemsErrorIcon.foreground' },
        collapsible: 'none',
        command: { command: COMMANDS.scanDataset, title: 'Scan Data Set', args: [dataset.root] },
      };
    case 'done': {
      const report = doctor.report;
      const problems = problemCount(report);
      const time = doctor.scannedAt.toTimeString().slice(0, 5);
      const accepted = isDetectionReport(report)
        ? `${plural(report.images, 'image')} (${report.backgroundImages} background), ${plural(report.boxes, 'box', 'boxes')}`
        : `${plural(report.total, 'image')} accepted`;
      return {
        ...base,
        description: `${problems === 0 ? 'no problems' : plural(problems, 'finding')} · scanned ${time}`,
        tooltip: `Scanned at ${time}: ${accepted}. Run Scan again after changing files.`,
        icon:
          problems === 0
            ? { id: 'pass', color: 'testing.iconPassed' }
            : { id: 'checklist', color: 'problemsWarningIcon.foreground' },
        collapsible: 'expanded',
      };
    }
  }
}
