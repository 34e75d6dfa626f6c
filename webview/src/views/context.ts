// What every view gets: the document to build in, the reducer's dispatch, and the channel to the host.
import type { WebviewToHost } from '../../../src/protocol/webviewMessages';
import type { Action, DashboardState } from '../state';

export interface ViewContext {
  doc: Document;
  /** The state now, for handlers of sections that are not rebuilt on every change. */
  getState(): DashboardState;
  dispatch(action: Action): void;
  post(message: WebviewToHost): void;
}

/** A piece of the page that is rebuilt only when one of its inputs changes (compared by reference). */
export interface Section<S> {
  key: string;
  inputs(state: S): readonly unknown[];
  render(state: S, ctx: ViewContext): Node;
}

/** Updates a section's node in place for a new state; false when it must be rebuilt instead. */
export type Patch<S> = (state: S) => boolean;

const patches = new WeakMap<Node, Patch<DashboardState>>();

/** Lets a section's rendered node be updated in place (keyed rows, no full relayout) on later changes. */
export function registerPatch(node: Node, patch: Patch<DashboardState>): void {
  patches.set(node, patch);
}

export function patchOf(node: Node | null): Patch<DashboardState> | undefined {
  return node ? patches.get(node) : undefined;
}
