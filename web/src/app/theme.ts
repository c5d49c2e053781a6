import { createTheme } from '@mantine/core';

// Calm and dense for all-day work: Mantine defaults, a teal primary, system fonts
// (nothing is downloaded at run time), slightly smaller default sizes.
export const theme = createTheme({
  primaryColor: 'teal',
  primaryShade: { light: 7, dark: 5 },
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif',
  headings: { fontWeight: '600' },
  cursorType: 'pointer',
});
