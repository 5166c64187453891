/**
 * The model picker's words: one plain line per model (speed, size, quality) from what was measured
 * (MODEL_MEASUREMENTS, docs/model-eval.md), with no benchmark jargon, and whether it is installed.
 * No `vscode` here: the unit tests read the lines.
 */
import { DEFAULT_MODEL_ID, KNOWN_MODELS, MODEL_MEASUREMENTS, type Dtype } from '../core/embedding/models';
import type { ModelChoice } from '../shared/engineProtocol';

export interface ModelItemWords {
  label: string;
  description: string;
  detail: string;
}

/** The short name people use: `all-MiniLM-L6-v2`. */
export function shortName(id: string): string {
  return id.split('/').pop() ?? id;
}

function precisionWords(dtype: Dtype): string {
  return dtype === 'q8' ? 'compact (int8)' : 'full precision';
}

/** Speed, size and quality in one line, relative to the default model (int8), which the others are compared with. */
export function plainLine(id: string, dtype: Dtype): string {
  const base = MODEL_MEASUREMENTS.find((m) => m.id === DEFAULT_MODEL_ID && m.dtype === 'q8')!;
  const m = MODEL_MEASUREMENTS.find((x) => x.id === id && x.dtype === dtype);
  if (!m) {
    const info = KNOWN_MODELS.find((k) => k.id === id);
    const size = info && info.dims >= 768 ? 'Medium size, slower than the default' : 'Small';
    return `${size}. Not measured by Kindred yet: try it and compare with Evaluate Search Quality.`;
  }
  const ratio = base.textsPerSecond / m.textsPerSecond;
  const speed = ratio < 1.3 ? 'Fast' : `About ${Math.round(ratio)}× slower to index`;
  const gain = (m.workspaceMrr + m.cosqaMrr) / (base.workspaceMrr + base.cosqaMrr) - 1;
  const quality = Math.abs(gain) < 0.02 ? 'the same results as the default' : gain > 0 ? `finds the right code somewhat more often (+${Math.round(gain * 100)}%)` : `finds the right code somewhat less often (${Math.round(gain * 100)}%)`;
  const size = m.sizeMB >= 100 ? `${Math.round(m.sizeMB)} MB` : `${m.sizeMB.toFixed(0)} MB`;
  return `${speed} · ${size} · ${m.id === DEFAULT_MODEL_ID && m.dtype === 'q8' ? 'good results; the default' : quality}.`;
}

/** Where it is: bundled, installed, or missing (what choosing it would need). */
export function installedWords(c: ModelChoice): string {
  if (c.installed === 'bundled') return 'installed (comes with Kindred)';
  if (c.installed === 'local') return 'installed';
  return c.sizeMB ? `not installed · ${Math.round(c.sizeMB)} MB download` : 'not installed · download needed';
}

/** The picker's row for a model. */
export function modelItemWords(c: ModelChoice, current: boolean): ModelItemWords {
  return {
    label: `${current ? '$(check) ' : ''}${shortName(c.id)} — ${precisionWords(c.dtype)}`,
    description: `${installedWords(c)}${current ? ' · in use' : ''}`,
    detail: plainLine(c.id, c.dtype),
  };
}
