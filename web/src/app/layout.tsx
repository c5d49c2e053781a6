import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './globals.css';

import { MantineProvider, mantineHtmlProps } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { LangSync } from '@/components/shell/LangSync';
import { LiveConnection } from '@/components/shell/LiveConnection';
import { theme } from './theme';

export const metadata: Metadata = {
  title: 'Окно',
  description: 'Единое окно контакт-центра',
  robots: { index: false, follow: false },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
};

// Light scheme only, so no ColorSchemeScript (an inline script) is needed.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="ru" {...mantineHtmlProps}>
      <body>
        <MantineProvider theme={theme} forceColorScheme="light">
          <Notifications position="bottom-right" limit={4} autoClose={6000} />
          <LangSync />
          <LiveConnection />
          {children}
        </MantineProvider>
      </body>
    </html>
  );
}
