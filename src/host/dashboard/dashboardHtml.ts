// The dashboard webview's HTML: a strict CSP (no inline or eval'd script, scripts by nonce only),
// the bundled app, and the theme-aware stylesheet. Pure, so the policy is unit-tested.
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlInput {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
  /** Which app of the bundle the page runs (webview/src/main.ts); the dashboard when absent. */
  app?: 'train-form' | 'gallery' | 'classify' | 'detection-gallery' | 'detection-inspector';
  title?: string;
  /** Also allow `data:` images (the New Training form's augmentation preview); no other page needs them. */
  dataImages?: boolean;
}

export function createNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string, dataImages = false): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource}${dataImages ? ' data:' : ''}`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function dashboardHtml(input: DashboardHtmlInput): string {
  const csp = escapeAttribute(contentSecurityPolicy(input.cspSource, input.nonce, input.dataImages === true));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(input.styleUri)}">
<title>${escapeAttribute(input.title ?? 'Image Trainer Dashboard')}</title>
</head>
<body>
<div id="app"${input.app ? ` data-app="${escapeAttribute(input.app)}"` : ''}></div>
<script nonce="${escapeAttribute(input.nonce)}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>
`;
}
