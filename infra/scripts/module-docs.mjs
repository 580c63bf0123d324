// Writes the inputs and outputs of each infra/modules/* into its README, between
// <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS --> (as terraform-docs would; it is not installed
// here). `--check` only reports READMEs that are out of date, exiting 1.
//   node infra/scripts/module-docs.mjs [--check]
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import * as prettier from 'prettier';

const modules = join(dirname(fileURLToPath(import.meta.url)), '../modules');
const BEGIN = '<!-- BEGIN_TF_DOCS -->';
const END = '<!-- END_TF_DOCS -->';

const cell = (text) =>
  String(text)
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
/** hcl2json keeps types as expressions: "${list(string)}" → list(string). */
const unwrap = (value) =>
  typeof value === 'string' && value.startsWith('${') && value.endsWith('}')
    ? value.slice(2, -1)
    : value;

async function blocks(dir, file, kind) {
  const path = join(dir, file);
  if (!existsSync(path)) return [];
  const parsed = await parse(path, readFileSync(path, 'utf8'));
  return Object.entries(parsed[kind] ?? {}).map(([name, [body]]) => ({ name, ...body }));
}

export async function moduleDocs(dir) {
  const variables = await blocks(dir, 'variables.tf', 'variable');
  const outputs = await blocks(dir, 'outputs.tf', 'output');
  const lines = [
    '## Inputs',
    '',
    '| Name | Description | Type | Default |',
    '| --- | --- | --- | --- |',
  ];
  for (const v of variables) {
    const type = cell(unwrap(v.type) ?? 'any').replace(/\s+/g, ' ');
    const fallback = 'default' in v ? `\`${cell(JSON.stringify(unwrap(v.default)))}\`` : 'required';
    lines.push(`| \`${v.name}\` | ${cell(v.description ?? '')} | \`${type}\` | ${fallback} |`);
  }
  lines.push('', '## Outputs', '', '| Name | Description |', '| --- | --- |');
  for (const o of outputs) lines.push(`| \`${o.name}\` | ${cell(o.description ?? '')} |`);
  return lines.join('\n');
}

async function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const name of readdirSync(modules).sort()) {
    const readme = join(modules, name, 'README.md');
    const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    if (start < 0 || end < start) {
      stale.push(`${name}: README.md has no ${BEGIN} … ${END} section`);
      continue;
    }
    const generated = `${text.slice(0, start + BEGIN.length)}\n${await moduleDocs(join(modules, name))}\n${text.slice(end)}`;
    // Formatted as `prettier --check` (part of npm test) wants it.
    const options = (await prettier.resolveConfig(readme)) ?? {};
    const updated = await prettier.format(generated, { ...options, filepath: readme });
    if (updated === text) continue;
    if (check) stale.push(`${name}: README.md is out of date (node infra/scripts/module-docs.mjs)`);
    else writeFileSync(readme, updated);
  }
  if (stale.length) {
    console.error(stale.join('\n'));
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
