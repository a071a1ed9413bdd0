/**
 * The dashboard's front end: Preact components over the JSON API, one live event stream for
 * updates, hash routes. Bundled by esbuild into dist/ui at build time (cli/build-ui.ts).
 */
import { render } from 'preact'
import './style.css'
import { NoticeProvider } from './components/notice.js'
import { LiveProvider, useLive } from './live.js'
import { EnqueuePage } from './pages/enqueue.js'
import { JobPage } from './pages/job.js'
import { JobsPage } from './pages/jobs.js'
import { OverviewPage } from './pages/overview.js'
import { SchedulesPage } from './pages/schedules.js'
import { WorkersPage } from './pages/workers.js'
import { href, useRoute } from './route.js'
import { visible } from './text.js'

const NAV: [string, string][] = [
  ['', 'Overview'],
  ['jobs', 'Jobs'],
  ['schedules', 'Schedules'],
  ['workers', 'Workers'],
  ['enqueue', 'Enqueue'],
]

function Banner() {
  const { connected, brokerError, version } = useLive()
  // Before the first event, say nothing: the stream is still opening.
  if (!connected && version > 0) {
    return (
      <div class="banner" role="alert">
        Lost the connection to the tq ui server; reconnecting…
      </div>
    )
  }
  if (brokerError) {
    return (
      <div class="banner" role="alert">
        The broker is not answering: {visible(brokerError)}. This page recovers by itself when it is back.
      </div>
    )
  }
  return null
}

function App() {
  const route = useRoute()
  const { overview, connected } = useLive()
  const [section = '', id] = route.path
  let page
  if (section === 'jobs' && id) page = <JobPage id={id} />
  else if (section === 'jobs') page = <JobsPage route={route} />
  else if (section === 'schedules') page = <SchedulesPage />
  else if (section === 'workers') page = <WorkersPage />
  else if (section === 'enqueue') page = <EnqueuePage route={route} />
  else page = <OverviewPage />
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          tq
        </a>
        <nav>
          {NAV.map(([path, label]) => (
            <a key={path} href={href(...(path ? [path] : []))} class={section === path ? 'current' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="broker mono" title="broker">
          {visible(overview?.broker ?? '')}
        </span>
        <span class={`live-dot ${connected ? 'on' : ''}`} title={connected ? 'live' : 'not connected'} />
      </header>
      <Banner />
      <NoticeProvider>
        <main>{page}</main>
      </NoticeProvider>
    </>
  )
}

render(
  <LiveProvider>
    <App />
  </LiveProvider>,
  document.getElementById('app')!,
)
