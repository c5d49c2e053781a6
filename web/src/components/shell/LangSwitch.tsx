'use client';

import { SegmentedControl } from '@mantine/core';
import { isLang, useLang, useT } from '@/lib/i18n';

export function LangSwitch() {
  const t = useT();
  const lang = useLang((s) => s.lang);
  const setLang = useLang((s) => s.setLang);
  return (
    <SegmentedControl
      data-testid="lang-switch"
      aria-label={t('lang.label')}
      size="xs"
      value={lang}
      onChange={(v) => isLang(v) && setLang(v)}
      data={[
        { value: 'ru', label: 'RU' },
        { value: 'en', label: 'EN' },
      ]}
    />
  );
}
