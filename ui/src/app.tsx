import { useEffect, useState } from 'preact/hooks';
import { whenUnauthorized } from './api';
import { EventTypeList } from './components/event-types';
import { Link } from './components/link';
import { match, useLocation } from './router';
import { clearToken, getToken } from './session';
import { Dashboard } from './pages/dashboard';
import { DeadLetters } from './pages/dead-letters';
import { Deliveries } from './pages/deliveries';
import { DeliveryDetail } from './pages/delivery-detail';
import { EventDetail } from './pages/event-detail';
import { Events } from './pages/events';
import { Sandbox } from './pages/sandbox';
import { SignIn } from './pages/sign-in';
import { SubscriberForm } from './pages/subscriber-form';
import { Subscribers } from './pages/subscribers';

const NAV = [
  ['/', 'Dashboard'],
  ['/subscribers', 'Subscribers'],
  ['/deliveries', 'Deliveries'],
  ['/events', 'Events'],
  ['/dead-letters', 'Dead letters'],
  ['/sandbox', 'Sandbox'],
] as const;

function route(path: string) {
  let p: Record<string, string> | null;
  if (path === '/') return { title: 'Dashboard', view: <Dashboard /> };
  if (path === '/subscribers') return { title: 'Subscribers', view: <Subscribers /> };
  if (path === '/subscribers/new') return { title: 'New subscriber', view: <SubscriberForm id={null} /> };
  if ((p = match('/subscribers/:id', path))) return { title: 'Edit subscriber', view: <SubscriberForm key={p.id} id={p.id!} /> };
  if (path === '/deliveries') return { title: 'Deliveries', view: <Deliveries /> };
  if ((p = match('/deliveries/:id', path))) return { title: 'Delivery', view: <DeliveryDetail key={p.id} id={p.id!} /> };
  if (path === '/events') return { title: 'Events', view: <Events /> };
  if ((p = match('/events/:id', path))) return { title: 'Event', view: <EventDetail key={p.id} id={p.id!} /> };
  if (path === '/dead-letters') return { title: 'Dead letters', view: <DeadLetters /> };
  if (path === '/sandbox') return { title: 'Sandbox', view: <Sandbox /> };
  return {
    title: 'Not found',
    view: (
      <p>
        There is no page at this address. <Link href="/">Go to the dashboard</Link>.
      </p>
    ),
  };
}

export function App() {
  const loc = useLocation();
  const [signedIn, setSignedIn] = useState(() => getToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    whenUnauthorized(() => {
      setNotice('The server no longer accepts this token. Sign in again.');
      setSignedIn(false);
    });
  }, []);

  const { title, view } = route(loc.path);
  useEffect(() => {
    document.title = signedIn ? `${title} · hookyard admin` : 'Sign in · hookyard admin';
  }, [title, signedIn]);

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(null);
          setSignedIn(true);
        }}
      />
    );
  }

  const section = NAV.filter(([href]) => href !== '/' && (loc.path === href || loc.path.startsWith(`${href}/`)))[0]?.[0] ?? (loc.path === '/' ? '/' : null);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">hookyard admin</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <Link href={href} ariaCurrent={section === href}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="signout"
          onClick={() => {
            clearToken();
            setNotice('Signed out.');
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        {view}
        <EventTypeList />
      </main>
    </>
  );
}
