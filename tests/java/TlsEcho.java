// A JSSE (Java 17) echo server and client for tlsim's interop tests (tests/interop_java.rs).
// Test material only: the client trusts any server certificate, the server uses the bundled
// test key (tests/data/key.pem) converted to a PKCS12 keystore at test time.
//
//   java TlsEcho server KEYSTORE.p12 PASSWORD SUITE[,SUITE]   (binds 127.0.0.1:0, prints
//        "listening PORT", then one line per connection, until stdin closes)
//   java TlsEcho client PORT COUNT SUITE[,SUITE] resume|fresh|fresh-until-fail  (COUNT
//        connections, one line each; "resume" keeps one SSLContext, so connections 2.. offer
//        to resume; "fresh-until-fail" stops after the first failed connection)
//
// One line per connection: "conn I ok resumed=BOOL suite=NAME reply=TEXT" or
// "conn I fail CLASS: MESSAGE" (the exception JSSE threw, with its causes). TLS behaviour
// (EMS, tickets, groups) is set with the JDK's system properties on the command line:
// jdk.tls.useExtendedMasterSecret, jdk.tls.server.enableSessionTicketExtension,
// jdk.tls.client.enableSessionTicketExtension, jdk.tls.namedGroups.

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

public final class TlsEcho {
    // The protocol: TLSv1.2 unless -Dtlsecho.protocol=TLSv1.3 (tests/tls13_java.rs).
    private static final String[] TLS12 = {System.getProperty("tlsecho.protocol", "TLSv1.2")};

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("server")) {
            server(args[1], args[2], args[3].split(","));
        } else if (args.length >= 5 && args[0].equals("client")) {
            client(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3].split(","),
                    args[4].equals("resume"), args[4].equals("fresh-until-fail"));
        } else {
            System.err.println("usage: TlsEcho server KEYSTORE PASSWORD SUITES"
                    + " | client PORT COUNT SUITES resume|fresh|fresh-until-fail");
            System.exit(2);
        }
    }

    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (b.length() > 0) {
                b.append(" / caused by ");
            }
            b.append(t.getClass().getName()).append(": ").append(t.getMessage());
        }
        return b.toString().replace('\n', ' ');
    }

    private static void server(String keystore, String password, String[] suites)
            throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(keystore)) {
            ks.load(in, password.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, password.toCharArray());
        SSLContext ctx = SSLContext.getInstance(TLS12[0]);
        ctx.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        ss.setEnabledProtocols(TLS12);
        ss.setEnabledCipherSuites(suites);
        System.out.println("listening " + ss.getLocalPort());
        System.out.flush();
        // The test ends the server by closing its stdin.
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore
                }
            } catch (Exception e) {
                // ignore
            }
            System.exit(0);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        for (int i = 0; ; i++) {
            SSLSocket s = (SSLSocket) ss.accept();
            s.setSoTimeout(10000);
            String line;
            try {
                s.startHandshake();
                SSLSession sess = s.getSession();
                BufferedReader r = new BufferedReader(
                        new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String got = r.readLine();
                OutputStream out = s.getOutputStream();
                out.write(((got == null ? "" : got) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                line = "conn " + i + " ok suite=" + sess.getCipherSuite() + " reply=" + got;
            } catch (Exception e) {
                line = "conn " + i + " fail " + describe(e);
            }
            try {
                s.close();
            } catch (Exception e) {
                // ignore
            }
            synchronized (System.out) {
                System.out.println(line);
                System.out.flush();
            }
        }
    }

    private static SSLContext trustAll() throws Exception {
        TrustManager[] tm = {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}

            public void checkServerTrusted(X509Certificate[] c, String a) {}

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }};
        SSLContext ctx = SSLContext.getInstance(TLS12[0]);
        ctx.init(null, tm, null);
        return ctx;
    }

    private static void client(int port, int count, String[] suites, boolean resume,
            boolean untilFail) throws Exception {
        SSLContext ctx = trustAll();
        SSLSession prev = null;
        for (int i = 0; i < count; i++) {
            if (!resume) {
                ctx = trustAll();
            }
            String line;
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setSoTimeout(10000);
                s.setEnabledProtocols(TLS12);
                s.setEnabledCipherSuites(suites);
                s.startHandshake();
                SSLSession sess = s.getSession();
                boolean resumed = prev != null
                        && sess.getCreationTime() == prev.getCreationTime()
                        && Arrays.equals(sess.getId(), prev.getId());
                OutputStream out = s.getOutputStream();
                out.write("ping from jsse\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader r = new BufferedReader(
                        new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String got = r.readLine();
                line = "conn " + i + " ok resumed=" + resumed + " suite=" + sess.getCipherSuite()
                        + " reply=" + got;
                prev = sess;
            } catch (Exception e) {
                line = "conn " + i + " fail " + describe(e);
            }
            System.out.println(line);
            System.out.flush();
            if (untilFail && line.contains(" fail ")) {
                break;
            }
        }
    }
}
