module github.com/xenbind/xenbind

go 1.25.0

require (
	github.com/dave/jennifer v1.7.1
	github.com/therootcompany/xz v1.0.1
	golang.org/x/mod v0.39.0
	golang.org/x/sys v0.47.0
	golang.org/x/tools v0.49.0
	modernc.org/cc/v4 v4.31.0
	modernc.org/token v1.1.0
)

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/sync v0.22.0 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/opt v0.2.0 // indirect
	modernc.org/sortutil v1.2.1 // indirect
	modernc.org/strutil v1.2.1 // indirect
)
