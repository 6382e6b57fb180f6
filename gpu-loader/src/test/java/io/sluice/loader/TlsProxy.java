package io.sluice.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A TLS-terminating proxy on 127.0.0.1 in front of a plain test server (a {@link FakeBroker}, a
 * {@link DroppingBroker}, a raw socket): it makes any of them an {@code https} broker, and relays
 * bytes both ways as they come, so a backend that stalls makes the https connection stall. When
 * either side of a connection ends, both are closed.
 */
final class TlsProxy implements AutoCloseable {

    private final SSLServerSocket server;
    private final int backendPort;
    private final Thread acceptor;
    private final Set<Thread> relays = ConcurrentHashMap.newKeySet();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    TlsProxy(SSLContext context, int backendPort) throws IOException {
        this.server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress());
        this.backendPort = backendPort;
        this.acceptor = Thread.ofVirtual().start(this::accept);
    }

    TlsProxy(SSLContext context, URI backend) throws IOException {
        this(context, backend.getPort());
    }

    URI uri() {
        return URI.create("https://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            Socket upstream;
            try {
                client = server.accept();
            } catch (IOException e) {
                continue; // closed: the loop ends
            }
            try {
                upstream = new Socket(InetAddress.getLoopbackAddress(), backendPort);
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            relay(client, upstream);
            relay(upstream, client);
        }
    }

    private void relay(Socket from, Socket to) {
        relays.add(Thread.ofVirtual().start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buffer = new byte[16 * 1024];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: both are closed below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                relays.remove(Thread.currentThread());
            }
        }));
    }

    private void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        } finally {
            sockets.remove(socket);
        }
    }

    /** Stops listening, closes every connection and waits for the relays to end. */
    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join();
            sockets.forEach(this::closeQuietly);
            for (Thread relay : Set.copyOf(relays)) {
                relay.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
