// Types of `#oclif` (package.json "imports"): the bundled @oclif/core is @oclif/core.
export * from '@oclif/core'
