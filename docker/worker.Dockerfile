# A GPU training worker: the same app in the worker role (Slip__Role=worker: the queue's servers and /healthz, no
# pages, API or sign-in), CUDA libtorch, one worker per device in Slip__Workers__Devices. From the repository root:
#   docker build -f docker/worker.Dockerfile -t slip-worker .
# The CUDA build swaps libtorch-cpu for TorchSharp-cuda-linux (-p:SlipCuda=true).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Slip.Web -c Release -p:SlipCuda=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime

FROM nvidia/cuda:12.8.0-cudnn-runtime-ubuntu24.04
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 libturbojpeg libicu74 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app .
ENV Urls=http://0.0.0.0:8081 \
    Slip__DataDirectory=/data \
    Slip__Workers__Enabled=true \
    Slip__Role=worker \
    DOTNET_gcServer=0
VOLUME /data
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8081/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "Slip.Web.dll"]
