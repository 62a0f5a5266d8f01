yarp-floor: DOTNET_gcServer=1 DOTNET_TieredPGO=1 dotnet /tmp/gw-bench-s8/floors/YarpFloor/YarpFloor.dll --urls http://127.0.0.1:18702 --Backends=(the 4 backends)
