// Message catalogs and locale-aware formatting. The current language is module state set by the
// app from AppState.lang (Rust keeps the choice; nothing is stored in the browser).
import en from './en.json';
import hi from './hi.json';
import type { Lang } from '../api';

const catalogs: Record<Lang, Record<string, string>> = { en, hi };
let current: Lang = 'en';

export function setLang(lang: Lang): void {
  current = lang === 'hi' ? 'hi' : 'en';
  document.documentElement.lang = current;
}

export function lang(): Lang {
  return current;
}

export function locale(): string {
  return current === 'hi' ? 'hi-IN' : 'en-IN';
}

/** The message `key` in the current language, with `{name}` placeholders filled. */
export function t(key: string, params?: Record<string, string | number>): string {
  let s = catalogs[current][key] ?? catalogs.en[key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name: string) => (params[name] !== undefined ? String(params[name]) : m));
  }
  return s;
}

export function hasKey(key: string): boolean {
  return key in catalogs[current];
}

/** `prefix.code` if the catalog has it, else the `fallback` key (for codes from the Rust side). */
export function tCode(prefix: string, code: string, fallback: string, params?: Record<string, string | number>): string {
  const key = `${prefix}.${code}`;
  return hasKey(key) ? t(key, params) : t(fallback, params);
}

/** The Hindi text of a bilingual pair when the language is Hindi and it is not empty. */
export function pick(enText: string, hiText: string | null | undefined): string {
  return current === 'hi' && hiText ? hiText : enText;
}

export function money(paise: number): string {
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: 'INR' }).format(paise / 100);
}

export function num(n: number, digits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

export function dateTime(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

/** "2 minutes ago" / "2 मिनट पहले"; under 45 seconds "just now". */
export function relTime(ms: number, now = Date.now()): string {
  const secs = Math.round((ms - now) / 1000);
  if (Math.abs(secs) < 45) return t('time.just_now');
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const mins = Math.round(secs / 60);
  if (Math.abs(mins) < 60) return rtf.format(mins, 'minute');
  const hours = Math.round(mins / 60);
  if (Math.abs(hours) < 24) return rtf.format(hours, 'hour');
  return rtf.format(Math.round(hours / 24), 'day');
}
