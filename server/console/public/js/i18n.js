// The console's languages: English and Arabic (right to left). The choice is kept in localStorage and applied to
// <html lang dir>; t(key) gives the text of the current language (English when a key has no translation).
// Dates: in English as ISO (as the console always showed them); in Arabic the Gregorian date in Arabic with the
// Hijri (Umm al-Qura) date beside it.
const TEXTS = {
  en: {},
  ar: {
    'NileCare FHIR': 'نايل كير FHIR',
    'Console sections': 'أقسام لوحة التحكم',
    Patients: 'المرضى',
    Resources: 'الموارد',
    'HL7 log': 'سجل HL7',
    Projections: 'الإسقاطات',
    Subscriptions: 'الاشتراكات',
    Health: 'الحالة',
    Admin: 'الإدارة',
    Duplicates: 'التكرارات',
    'Sign in': 'تسجيل الدخول',
    'Sign out': 'تسجيل الخروج',
    'Loading…': 'جارٍ التحميل…',
    'Loading patients…': 'جارٍ تحميل المرضى…',
    'Loading chart…': 'جارٍ تحميل الملف…',
    Name: 'الاسم',
    'Patient name': 'اسم المريض',
    Find: 'بحث',
    Gender: 'الجنس',
    Born: 'تاريخ الميلاد',
    Identifier: 'المعرّف',
    Identifiers: 'المعرّفات',
    'No patients found.': 'لم يُعثر على مرضى.',
    Deceased: 'متوفى',
    Address: 'العنوان',
    Phone: 'الهاتف',
    Encounters: 'الزيارات',
    Start: 'البداية',
    Type: 'النوع',
    Class: 'الفئة',
    Status: 'الحالة',
    Conditions: 'الحالات المرضية',
    Condition: 'الحالة المرضية',
    Onset: 'البداية',
    'Latest observations': 'آخر الملاحظات',
    Observation: 'الملاحظة',
    Latest: 'الأحدث',
    When: 'التاريخ',
    Trend: 'الاتجاه',
    'None recorded.': 'لا شيء مسجّل.',
    'Patient resource and history': 'مورد المريض وسجله',
    male: 'ذكر',
    female: 'أنثى',
    other: 'آخر',
    unknown: 'غير معروف',
    yes: 'نعم',
    'NileCare FHIR operations console': 'لوحة تشغيل نايل كير FHIR',
    'Sign in with an administrator account to browse resources, patient charts, the HL7 message log, projections and server health.':
      'سجّل الدخول بحساب مسؤول لتصفح الموارد وملفات المرضى وسجل رسائل HL7 والإسقاطات وحالة الخادم.',
    'Your session has ended; sign in again.': 'انتهت جلستك؛ سجّل الدخول مرة أخرى.',
    'Possible duplicate patients': 'مرضى قد يكونون مكررين',
    'Pairs the server found when a patient was registered. Nothing is merged automatically: check both records, then mark the pair.':
      'أزواج وجدها الخادم عند تسجيل مريض. لا يُدمج شيء تلقائياً: راجع السجلين ثم صنّف الزوج.',
    'No open pairs.': 'لا توجد أزواج مفتوحة.',
    Score: 'الدرجة',
    Grade: 'التصنيف',
    Detected: 'تاريخ الاكتشاف',
    certain: 'مؤكد',
    probable: 'مرجّح',
    possible: 'محتمل',
    open: 'مفتوح',
    'not-duplicate': 'ليسا نفس الشخص',
    confirmed: 'نفس الشخص (بانتظار الدمج)',
    'Not the same person': 'ليسا نفس الشخص',
    'Same person': 'نفس الشخص',
    'Merging stays an explicit act (HL7 A40 moves the references).':
      'يبقى الدمج إجراءً صريحاً (رسالة HL7 A40 تنقل المراجع).',
    'Show reviewed pairs': 'عرض الأزواج المراجَعة',
    Language: 'اللغة',
  },
};

const KEY = 'nilecare.console.lang';

export function lang() {
  const stored = localStorage.getItem(KEY);
  return stored === 'ar' || stored === 'en' ? stored : 'en';
}

export function setLang(value) {
  localStorage.setItem(KEY, value);
  applyLang();
}

/** Sets <html lang dir> and the texts marked data-t in the page shell. */
export function applyLang() {
  const l = lang();
  document.documentElement.lang = l;
  document.documentElement.dir = l === 'ar' ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
}

export function t(key) {
  return TEXTS[lang()]?.[key] ?? key;
}

const locale = () => (lang() === 'ar' ? 'ar-SD' : 'en-GB');

/** A FHIR date or dateTime for display: Gregorian, plus the Hijri date in Arabic. '' for nothing. */
export function fmtDay(value) {
  if (!value) return '';
  const text = String(value);
  if (lang() !== 'ar') return text.replace('T', ' ').replace(/(\.\d+)?(Z|[+-]\d\d:\d\d)$/, ''); // as before: ISO
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(text);
  if (!m) return text;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo ?? 1) - 1, Number(d ?? 1)));
  const parts = d
    ? { day: 'numeric', month: 'long', year: 'numeric' }
    : mo
      ? { month: 'long', year: 'numeric' }
      : { year: 'numeric' };
  const gregorian = new Intl.DateTimeFormat(locale(), { ...parts, timeZone: 'UTC' }).format(date);
  if (lang() !== 'ar' || !d) return gregorian;
  const hijri = new Intl.DateTimeFormat('ar-SD-u-ca-islamic-umalqura', { ...parts, timeZone: 'UTC' }).format(date);
  return `${gregorian} (${hijri})`;
}

/** A dateTime with its time, in the current language (no Hijri: used for technical times). */
export function fmtInstant(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
