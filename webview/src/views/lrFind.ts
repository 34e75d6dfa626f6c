// The learning-rate finder's curve (`image-trainer lr-find`): loss against the rate on a log axis, with
// the suggested rate marked. Shown on the compare page, the newest test first.
import { el } from '../dom';
import { formatNumber } from '../format';
import type { DashboardState } from '../state';
import type { ViewContext } from './context';
import { renderLineChart } from './lineChart';

const pow10 = (v: number) => formatNumber(Math.pow(10, v));

export function renderLrFind(state: DashboardState, ctx: ViewContext): Node {
  const { doc } = ctx;
  const curve = state.lrFinds[0];
  if (!curve) {
    return el(doc, 'p', {
      class: 'empty',
      text: 'No learning-rate test yet. Run `image-trainer lr-find DATA_DIR` to find a starting rate.',
    });
  }
  const log = (points: typeof curve.points, key: 'loss' | 'smoothedLoss') =>
    points.map((p) => ({ x: Math.log10(p.learningRate), y: p[key] }));
  const suggestion =
    curve.suggested === null ? 'no suggestion' : `suggested ${formatNumber(curve.suggested)}`;
  return el(
    doc,
    'div',
    {},
    el(doc, 'p', {
      class: 'count',
      text: `${curve.id} · ${curve.dataset} · ${curve.points.length} steps${curve.diverged ? ', stopped when the loss diverged' : ''} · ${suggestion}`,
    }),
    renderLineChart(doc, {
      title: 'Loss against learning rate',
      xLabel: 'Learning rate',
      xFormat: pow10,
      series: [
        { id: 'lr-loss', label: 'loss', points: log(curve.points, 'loss'), className: 'train', faint: true },
        {
          id: 'lr-smoothed',
          label: 'smoothed loss',
          points: log(curve.points, 'smoothedLoss'),
          className: 'val',
        },
      ],
      markers: curve.suggested === null ? [] : [{ x: Math.log10(curve.suggested), label: suggestion }],
    }),
  );
}
