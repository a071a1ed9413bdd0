import type { ComponentChildren } from 'preact'

/** A modal question: an action that deletes or stops something is asked first. */
export function Confirm(p: { title: string; children?: ComponentChildren; confirm: string; danger?: boolean; busy?: boolean; onConfirm: () => void; onCancel: () => void }) {
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && p.onCancel()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={p.title}>
        <h3>{p.title}</h3>
        {p.children}
        <div class="modal-actions">
          <button type="button" onClick={p.onCancel}>
            Keep
          </button>
          <button type="button" class={p.danger ? 'danger' : 'primary'} disabled={p.busy} onClick={p.onConfirm}>
            {p.confirm}
          </button>
        </div>
      </div>
    </div>
  )
}
