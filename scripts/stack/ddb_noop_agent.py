"""Write the no-op ``ddb-local-loader-0.1.jar`` javaagent LocalStack's DynamoDB starts DynamoDB Local with.

LocalStack runs ``java -javaagent:<dir>/ddb-local-loader-0.1.jar ... -jar DynamoDBLocal.jar``; its real agent
(downloaded at run time, which is impossible offline) only lifts the 20-GSI-per-table limit. An agent whose
``premain`` does nothing is enough. The class file is assembled here byte by byte, so no JDK (javac/jar) is
needed, only the JRE that runs DynamoDB Local. Usage: python ddb_noop_agent.py OUT.jar
"""
import struct
import sys
import zipfile


def utf8(text: str) -> bytes:
    data = text.encode()
    return b"\x01" + struct.pack(">H", len(data)) + data


def noop_agent_class() -> bytes:
    # public final class NoopAgent { public static void premain(String a, Instrumentation i) { return; } }
    pool = [utf8("NoopAgent"), b"\x07" + struct.pack(">H", 1), utf8("java/lang/Object"), b"\x07" + struct.pack(">H", 3),
            utf8("premain"), utf8("(Ljava/lang/String;Ljava/lang/instrument/Instrumentation;)V"), utf8("Code")]
    code = struct.pack(">HHI", 0, 2, 1) + b"\xb1" + struct.pack(">HH", 0, 0)  # max_stack, max_locals, len, return
    method = struct.pack(">HHHH", 0x0009, 5, 6, 1) + struct.pack(">HI", 7, len(code)) + code
    return (b"\xca\xfe\xba\xbe" + struct.pack(">HHH", 0, 52, len(pool) + 1) + b"".join(pool)  # Java 8 class file
            + struct.pack(">HHHHHH", 0x0031, 2, 4, 0, 0, 1) + method + struct.pack(">H", 0))


if __name__ == "__main__":
    with zipfile.ZipFile(sys.argv[1], "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nPremain-Class: NoopAgent\r\n\r\n")
        jar.writestr("NoopAgent.class", noop_agent_class())
