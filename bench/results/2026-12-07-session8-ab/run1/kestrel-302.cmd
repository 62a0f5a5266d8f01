kestrel-302: DOTNET_gcServer=1 DOTNET_TieredPGO=1 dotnet /tmp/gw-bench-s8/floors/Kestrel302/Kestrel302.dll --urls http://127.0.0.1:18701 --Backends=(the 4 backends)
