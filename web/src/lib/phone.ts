/**
 * Phones arrive in E.164 ("+73432223344"); people read Russian numbers as
 * "+7 343 222-33-44". Masked values ("+7 343 ***-**-44") and foreign numbers
 * are shown as they come.
 */
export function formatPhone(phone: string): string {
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(phone);
  return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : phone;
}
