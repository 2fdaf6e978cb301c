import type { Lang } from '../api';
import { t } from '../i18n';

export function LangSwitch({ lang, onChange }: { lang: Lang; onChange: (l: Lang) => void }) {
  return (
    <div class="lang-switch" role="group" aria-label={t('lang.label')}>
      <button type="button" id="lang-en" lang="en" aria-pressed={lang === 'en'} onClick={() => onChange('en')}>
        EN
      </button>
      <button type="button" id="lang-hi" lang="hi" aria-pressed={lang === 'hi'} onClick={() => onChange('hi')}>
        हिंदी
      </button>
    </div>
  );
}
