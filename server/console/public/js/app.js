// The console shell: sign-in state and a hash router over the views.
import { completeSignIn, loadConfig, session, signIn, signOut, useOpenSession } from './auth.js';
import { h, mount, errorBox } from './dom.js';
import { searchView, resourceView } from './views/resources.js';
import { patientListView, patientChartView } from './views/patients.js';
import { hl7ListView, hl7MessageView } from './views/hl7.js';
import { projectionsView, healthView } from './views/ops.js';
import { subscriptionsView } from './views/subscriptions.js';
import { duplicatesView } from './views/duplicates.js';
import { adminView } from './views/admin.js';
import { applyLang, lang, setLang, t } from './i18n.js';

const main = document.getElementById('view');
const who = document.getElementById('who');
const signButton = document.getElementById('sign');
const langButton = document.getElementById('lang');

/** The language switch shows the other language, in that language. */
function showLang() {
  applyLang();
  const other = lang() === 'ar' ? 'en' : 'ar';
  langButton.textContent = other === 'ar' ? 'العربية' : 'English';
  langButton.lang = other;
  signButton.textContent = t(session() ? 'Sign out' : 'Sign in');
}

function route() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = (path || '/patients').split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.section === parts[0]);
  switch (parts[0]) {
    case 'patients':
      return patientListView(main, params.get('name') ?? '');
    case 'patient':
      return patientChartView(main, parts[1] ?? '');
    case 'duplicates':
      return duplicatesView(main, params.get('all') === 'true');
    case 'resources':
      return searchView(main, params.get('q') ?? '');
    case 'resource':
      return resourceView(main, parts[1] ?? '', parts.slice(2).join('/'));
    case 'hl7':
      return parts[1] ? hl7MessageView(main, parts[1]) : hl7ListView(main, params);
    case 'projections':
      return projectionsView(main);
    case 'subscriptions':
      return subscriptionsView(main);
    case 'health':
      return healthView(main);
    case 'admin':
      return adminView(main);
    default:
      return mount(main, errorBox(`Unknown page ${path}`));
  }
}

function showSignedOut(error) {
  who.textContent = '';
  signButton.textContent = t('Sign in');
  document.body.classList.add('signed-out');
  mount(
    main,
    h(
      'section',
      { class: 'welcome' },
      h('h2', {}, t('NileCare FHIR operations console')),
      h(
        'p',
        {},
        t(
          'Sign in with an administrator account to browse resources, patient charts, the HL7 message log, projections and server health.',
        ),
      ),
      error ? errorBox(error) : null,
      h('button', { id: 'sign-in', onclick: () => signIn().catch((e) => mount(main, errorBox(e))) }, t('Sign in')),
    ),
  );
}

async function start() {
  showLang();
  langButton.addEventListener('click', () => {
    setLang(lang() === 'ar' ? 'en' : 'ar');
    showLang();
    if (session() && !document.body.classList.contains('signed-out')) route();
  });
  signButton.addEventListener('click', () => {
    if (session()) {
      signOut();
      showSignedOut();
    } else signIn().catch((e) => mount(main, errorBox(e)));
  });
  window.addEventListener('console:signed-out', () => showSignedOut(t('Your session has ended; sign in again.')));
  try {
    if ((await loadConfig()).signIn === 'none') useOpenSession();
    await completeSignIn();
  } catch (e) {
    return showSignedOut(e);
  }
  const s = session();
  if (!s) return showSignedOut();
  document.body.classList.remove('signed-out');
  who.textContent = s.user;
  signButton.textContent = t('Sign out');
  signButton.hidden = !!s.open;
  window.addEventListener('hashchange', route);
  route();
}

start();
